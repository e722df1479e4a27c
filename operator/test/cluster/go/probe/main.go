// SPDX-License-Identifier: Apache-2.0

// A static test program for the real-cluster suite, the only file in its image:
//
//	probe serve PORT             HTTP server: GET / answers the pod's hostname, /healthz "ok"
//	probe resolve NAME SECONDS   resolve NAME with the pod's resolver until it answers (exit 0) or SECONDS pass (exit 1)
//	probe get URL SECONDS        GET URL until a 2xx answer (exit 0) or SECONDS pass (exit 1); https is
//	                             verified against the pod's ServiceAccount CA
//	probe alloc MIB              allocate and touch MIB MiB, then wait (for memory-limit tests)
//
// Every outcome is one line on stdout, so a test can read it from the pod's log.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const serviceAccountCA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"

func main() {
	if len(os.Args) < 3 {
		fail("usage: probe serve PORT | resolve NAME SECONDS | get URL SECONDS | alloc MIB")
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2])
	case "resolve":
		retry(seconds(3), func() (string, error) {
			addrs, err := net.DefaultResolver.LookupHost(context.Background(), os.Args[2])
			return fmt.Sprint(addrs), err
		})
	case "get":
		client, err := httpClient()
		if err != nil {
			fail(err.Error())
		}
		retry(seconds(3), func() (string, error) { return get(client, os.Args[2]) })
	case "alloc":
		alloc(os.Args[2])
	default:
		fail("unknown command " + strconv.Quote(os.Args[1]) + " (serve, resolve, get or alloc)")
	}
}

func fail(msg string) {
	fmt.Println("error: " + msg)
	os.Exit(2)
}

func seconds(i int) time.Duration {
	if len(os.Args) <= i {
		fail("missing SECONDS")
	}
	n, err := strconv.Atoi(os.Args[i])
	if err != nil || n <= 0 {
		fail("SECONDS must be a positive integer, not " + strconv.Quote(os.Args[i]))
	}
	return time.Duration(n) * time.Second
}

// retry runs try every half second until it succeeds or the deadline passes; it prints the last outcome.
func retry(limit time.Duration, try func() (string, error)) {
	deadline := time.Now().Add(limit)
	for attempt := 1; ; attempt++ {
		out, err := try()
		if err == nil {
			fmt.Printf("ok after %d attempt(s): %s\n", attempt, out)
			os.Exit(0)
		}
		if time.Now().After(deadline) {
			fmt.Printf("failed after %d attempt(s): %v\n", attempt, err)
			os.Exit(1)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func httpClient() (*http.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if pem, err := os.ReadFile(serviceAccountCA); err == nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no certificate", serviceAccountCA)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: transport, Timeout: 5 * time.Second}, nil
}

func get(client *http.Client, url string) (string, error) {
	res, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 4096))
	if err != nil {
		return "", err
	}
	if res.StatusCode/100 != 2 {
		return "", fmt.Errorf("HTTP %d: %s", res.StatusCode, body)
	}
	return fmt.Sprintf("HTTP %d %s", res.StatusCode, body), nil
}

func serve(port string) {
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, host) })
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	server := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(ctx)
	}()
	fmt.Printf("serving on :%s as %s\n", port, host)
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fail(err.Error())
	}
}

func alloc(arg string) {
	mib, err := strconv.Atoi(arg)
	if err != nil || mib <= 0 {
		fail("MIB must be a positive integer, not " + strconv.Quote(arg))
	}
	chunks := make([][]byte, 0, mib)
	for i := 0; i < mib; i++ {
		chunk := make([]byte, 1<<20)
		for j := range chunk {
			chunk[j] = byte(j)
		}
		chunks = append(chunks, chunk)
	}
	fmt.Printf("allocated %d MiB\n", len(chunks))
	select {}
}
