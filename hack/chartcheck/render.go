package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// object is one rendered manifest: its identity and the typed value it
// decodes into strictly (an unknown field fails the decode), or a plain map
// for the prometheus-operator kinds, which have no Go types here.
type object struct {
	Kind, Name, Namespace string
	Labels                map[string]string
	Value                 any
}

func (o object) String() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// newTyped returns an empty value for a kind the chart may render.
func newTyped(kind string) any {
	switch kind {
	case "ServiceAccount":
		return &corev1.ServiceAccount{}
	case "Secret":
		return &corev1.Secret{}
	case "Service":
		return &corev1.Service{}
	case "ClusterRole":
		return &rbacv1.ClusterRole{}
	case "ClusterRoleBinding":
		return &rbacv1.ClusterRoleBinding{}
	case "Role":
		return &rbacv1.Role{}
	case "RoleBinding":
		return &rbacv1.RoleBinding{}
	case "Deployment":
		return &appsv1.Deployment{}
	case "PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}
	case "CustomResourceDefinition":
		return &apiextensionsv1.CustomResourceDefinition{}
	case "ServiceMonitor", "PrometheusRule":
		return &map[string]any{}
	}
	return nil
}

// decode splits a multi-document YAML stream and decodes each document
// that has a kind (helm template separates them with "---" and comments).
func decode(data []byte) ([]object, error) {
	var out []object
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		var meta struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if meta.Kind == "" {
			continue // comments only
		}
		v := newTyped(meta.Kind)
		if v == nil {
			return nil, fmt.Errorf("document %d: unexpected kind %q", i, meta.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, v); err != nil {
			return nil, fmt.Errorf("document %d (%s %s): %w", i, meta.Kind, meta.Metadata.Name, err)
		}
		if m, ok := v.(*map[string]any); ok {
			v = *m
		}
		out = append(out, object{Kind: meta.Kind, Name: meta.Metadata.Name, Namespace: meta.Metadata.Namespace,
			Labels: meta.Metadata.Labels, Value: v})
	}
}

// ofKind returns the rendered objects of a kind, typed.
func ofKind[T any](objs []object, kind string) []T {
	var out []T
	for _, o := range objs {
		if o.Kind == kind {
			out = append(out, o.Value.(T))
		}
	}
	return out
}

// helm runs the helm binary.
type helm struct{ bin string }

func (h helm) run(args ...string) ([]byte, error) {
	cmd := exec.Command(h.bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("helm %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// valueArgs writes a case's values to a file in dir and returns the helm
// flags that pass them.
func valueArgs(dir string, c chartCase) ([]string, error) {
	var args []string
	if c.values != "" {
		f := filepath.Join(dir, caseFile(c.name)+".values.yaml")
		if err := os.WriteFile(f, []byte(c.values), 0o600); err != nil {
			return nil, err
		}
		args = append(args, "--values", f)
	}
	for _, s := range c.set {
		args = append(args, "--set", s)
	}
	return args, nil
}
