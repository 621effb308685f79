{{/*
Expand the name of the chart.
*/}}
{{- define "edge-controller-manager.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects. A release named like the chart
(helm install edge-controller-manager ...) gets the same names as
manifests/ (kubectl apply -k).
*/}}
{{- define "edge-controller-manager.fullname" -}}
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

{{/*
Chart name and version as used by the chart label.
*/}}
{{- define "edge-controller-manager.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "edge-controller-manager.labels" -}}
helm.sh/chart: {{ include "edge-controller-manager.chart" . }}
{{ include "edge-controller-manager.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels.
*/}}
{{- define "edge-controller-manager.selectorLabels" -}}
app.kubernetes.io/name: {{ include "edge-controller-manager.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount the manager runs as.
*/}}
{{- define "edge-controller-manager.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "edge-controller-manager.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The Secret holding the cloud config: an existing one, or the chart's.
*/}}
{{- define "edge-controller-manager.cloudConfigSecretName" -}}
{{- if .Values.cloudConfig.existingSecret }}
{{- .Values.cloudConfig.existingSecret }}
{{- else }}
{{- printf "%s-cloud-config" (include "edge-controller-manager.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
The Lease the replicas elect a leader on.
*/}}
{{- define "edge-controller-manager.leaseName" -}}
{{- default (include "edge-controller-manager.fullname" .) .Values.leaderElection.resourceName }}
{{- end }}

{{/*
The metrics Service's name.
*/}}
{{- define "edge-controller-manager.metricsServiceName" -}}
{{- printf "%s-metrics" (include "edge-controller-manager.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
image is registry/repository:tag, the tag defaulting to the appVersion.
*/}}
{{- define "edge-controller-manager.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString }}
{{- if .Values.image.registry }}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository $tag }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
clusterID checks the cluster id the way the manager's --cluster-id does
(pkg/manager.ValidateClusterID), so that a bad one fails the install
instead of a crash-looping pod.
*/}}
{{- define "edge-controller-manager.clusterID" -}}
{{- $id := required "clusterID is required: it is part of the name of every ELB and EIP (k8s/<svc>/<ns>/<pool>/<cluster-id>); unique per cluster and never changed" .Values.clusterID | toString }}
{{- if gt (len $id) 64 }}
{{- fail (printf "clusterID %q is longer than 64 characters" $id) }}
{{- end }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $id) }}
{{- fail (printf "clusterID %q must consist of lowercase letters, digits and '-', and start and end with a letter or digit" $id) }}
{{- end }}
{{- $id }}
{{- end }}

{{/*
validate fails on value combinations the manager or the cluster would
reject later.
*/}}
{{- define "edge-controller-manager.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "replicaCount > 1 needs leaderElection.enabled: replicas without a leader would all change the same ELBs" }}
{{- end }}
{{- if and (not .Values.metrics.enabled) (or .Values.metrics.serviceMonitor.enabled .Values.metrics.prometheusRule.enabled) }}
{{- fail "metrics.serviceMonitor and metrics.prometheusRule need metrics.enabled" }}
{{- end }}
{{- if and .Values.metrics.prometheusRule.enabled (not .Values.metrics.prometheusRule.defaultRules) (empty .Values.metrics.prometheusRule.additionalRules) }}
{{- fail "metrics.prometheusRule needs defaultRules or additionalRules" }}
{{- end }}
{{- if not .Values.cloudConfig.existingSecret }}
{{- if not (and .Values.cloudConfig.accessKeyID .Values.cloudConfig.accessKeySecret) }}
{{- fail "set cloudConfig.existingSecret (a Secret you created), or cloudConfig.accessKeyID and cloudConfig.accessKeySecret for the chart to create one" }}
{{- end }}
{{- end }}
{{- end }}
