{{/* Chart name, truncated to the 63 characters a label value may hold. */}}
{{- define "relaylab.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name: the release name alone when it already contains the chart name. */}}
{{- define "relaylab.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels on every object of the release. */}}
{{- define "relaylab.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "relaylab.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: relaylab
{{- end }}

{{/* Labels of the operator's own objects (Deployment, pods, Service, ServiceAccount). */}}
{{- define "relaylab.operatorLabels" -}}
{{ include "relaylab.labels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Labels that select the operator pods (immutable in a Deployment: keep them small). */}}
{{- define "relaylab.selectorLabels" -}}
app.kubernetes.io/name: {{ include "relaylab.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "relaylab.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "relaylab.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "relaylab.image" -}}
{{- printf "%s:%s" .Values.operator.image.repository (default .Chart.AppVersion .Values.operator.image.tag) }}
{{- end }}

{{/* Labels and port names of the node pods the operator creates (generated from its code). */}}
{{- define "relaylab.nodePods" -}}
{{ .Files.Get "files/node-pods.yaml" }}
{{- end }}

{{/* Labels of relaylab node pods (any subnet). */}}
{{- define "relaylab.nodePodLabels" -}}
{{ toYaml (include "relaylab.nodePods" . | fromYaml).selector }}
{{- end }}
