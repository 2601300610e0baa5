{{/* Names, labels and shared values of the tapedeck chart. */}}

{{- define "tapedeck.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: release name + chart name (or just the release name when it already contains the chart name),
truncated to 63 characters because some Kubernetes name fields are limited to a DNS label.
*/}}
{{- define "tapedeck.fullname" -}}
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

{{- define "tapedeck.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels of one component. Call with (dict "ctx" $ "component" "agent"). */}}
{{- define "tapedeck.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tapedeck.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* All labels of one component's objects. Call with (dict "ctx" $ "component" "agent"). */}}
{{- define "tapedeck.labels" -}}
helm.sh/chart: {{ include "tapedeck.chart" .ctx }}
{{ include "tapedeck.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: tapedeck
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The agent pods' labels as the operator's --agent-selector (key=value,...), sorted. */}}
{{- define "tapedeck.agentSelector" -}}
{{- $labels := include "tapedeck.selectorLabels" (dict "ctx" . "component" "agent") | fromYaml }}
{{- $pairs := list }}
{{- range $key := keys $labels | sortAlpha }}
{{- $pairs = append $pairs (printf "%s=%s" $key (get $labels $key)) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{- define "tapedeck.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "tapedeck.operator.fullname" -}}
{{- printf "%s-operator" (include "tapedeck.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{- define "tapedeck.agent.fullname" -}}
{{- printf "%s-agent" (include "tapedeck.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{- define "tapedeck.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (include "tapedeck.operator.fullname" .) .Values.operator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Secrets holding the mTLS material: generated ones unless existing ones are named. */}}
{{- define "tapedeck.mtls.caSecretName" -}}
{{- printf "%s-ca" (include "tapedeck.fullname" . | trunc 60 | trimSuffix "-") }}
{{- end }}

{{- define "tapedeck.mtls.agentSecretName" -}}
{{- default (printf "%s-tls" (include "tapedeck.agent.fullname" .)) .Values.mtls.existingSecrets.agent }}
{{- end }}

{{- define "tapedeck.mtls.operatorSecretName" -}}
{{- default (printf "%s-tls" (include "tapedeck.operator.fullname" .)) .Values.mtls.existingSecrets.operator }}
{{- end }}

{{/* The identity (CN) on the operator's client certificate, the only client the agents serve by default. */}}
{{- define "tapedeck.mtls.operatorIdentity" -}}
{{- .Values.mtls.operatorIdentity }}
{{- end }}

{{/* "true" when the operator issues the certificates from the chart's CA (neither cert-manager nor existing Secrets). */}}
{{- define "tapedeck.mtls.issued" -}}
{{- if not (or .Values.mtls.certManager.enabled .Values.mtls.existingSecrets.agent .Values.mtls.existingSecrets.operator) }}true{{ end }}
{{- end }}

{{/* Where the operator keeps the client certificate it issues itself (a memory volume). */}}
{{- define "tapedeck.mtls.identityPath" -}}
/var/run/tapedeck/identity
{{- end }}

{{/* Where the operator mounts the chart's CA when it issues the certificates. */}}
{{- define "tapedeck.mtls.caPath" -}}
/etc/tapedeck/ca
{{- end }}

{{/* Where both components mount their Secret (keys ca.crt, tls.crt, tls.key). */}}
{{- define "tapedeck.mtls.mountPath" -}}
/etc/tapedeck/tls
{{- end }}

{{/* The default export destination as the JSON the operator reads, in Recording.spec.export's shape. */}}
{{- define "tapedeck.exportDefaults" -}}
{{- $e := .Values.export }}
{{- $out := dict }}
{{- if eq $e.destination "s3" }}
{{- $s3 := dict "bucket" $e.s3.bucket "prefix" $e.s3.prefix "region" $e.s3.region "endpoint" $e.s3.endpoint "forcePathStyle" $e.s3.forcePathStyle }}
{{- with $e.s3.credentialsSecret }}{{ $_ := set $s3 "credentialsSecret" (dict "name" .) }}{{ end }}
{{- $_ := set $out "s3" $s3 }}
{{- else if eq $e.destination "gcs" }}
{{- $gcs := dict "bucket" $e.gcs.bucket "prefix" $e.gcs.prefix "endpoint" $e.gcs.endpoint }}
{{- with $e.gcs.credentialsSecret }}{{ $_ := set $gcs "credentialsSecret" (dict "name" .) }}{{ end }}
{{- $_ := set $out "gcs" $gcs }}
{{- end }}
{{- toPrettyJson $out }}
{{- end }}

{{/* The ValidatingAdmissionPolicy (and its binding) that decides who may record what. */}}
{{- define "tapedeck.tenancyPolicyName" -}}
{{- printf "%s-recording-tenancy" (include "tapedeck.fullname" . | trunc 44 | trimSuffix "-") }}
{{- end }}

{{/* The ClusterRole admins bind to let someone record whole nodes (verb record-nodes). */}}
{{- define "tapedeck.nodeRecorderName" -}}
{{- printf "%s-node-recorder" (include "tapedeck.fullname" . | trunc 48 | trimSuffix "-") }}
{{- end }}

{{/* The default destination's credentials Secret in the release namespace, empty for none. */}}
{{- define "tapedeck.exportDefaultsSecret" -}}
{{- $e := .Values.export }}
{{- if eq $e.destination "s3" }}{{ $e.s3.credentialsSecret }}{{ else if eq $e.destination "gcs" }}{{ $e.gcs.credentialsSecret }}{{ end }}
{{- end }}
