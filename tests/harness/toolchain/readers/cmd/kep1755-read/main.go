// Command kep1755-read reads the KEP-1755 `local-registry-hosting` ConfigMap the way Tilt's reader
// (github.com/tilt-dev/localregistry-go, Discover) does: client-go from a kubeconfig context, GET
// kube-public/local-registry-hosting, "not found" or "forbidden" meaning no registry, and
// gopkg.in/yaml.v2 (non-strict) decoding `localRegistryHosting.v1` into the KEP's
// LocalRegistryHostingV1 fields. The Go module proxy here does not serve localregistry-go, so this
// is written from its documented behaviour, on the same libraries; the field names and tags are
// the KEP's.
//
// Usage: kep1755-read --kubeconfig FILE [--context NAME]
// prints {"context": …, "found": bool, "hosting": {host, hostFromContainerRuntime,
// hostFromClusterNetwork, help}} as JSON; exits 1 when the ConfigMap cannot be read or decoded.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"gopkg.in/yaml.v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// LocalRegistryHostingV1 is KEP-1755's document (keps/sig-cluster-lifecycle/generic/1755-…).
type LocalRegistryHostingV1 struct {
	Host                     string `json:"host,omitempty" yaml:"host,omitempty"`
	HostFromClusterNetwork   string `json:"hostFromClusterNetwork,omitempty" yaml:"hostFromClusterNetwork,omitempty"`
	HostFromContainerRuntime string `json:"hostFromContainerRuntime,omitempty" yaml:"hostFromContainerRuntime,omitempty"`
	Help                     string `json:"help,omitempty" yaml:"help,omitempty"`
}

const (
	configMapName      = "local-registry-hosting"
	configMapNamespace = "kube-public"
	configMapField     = "localRegistryHosting.v1"
)

type result struct {
	Context string                 `json:"context"`
	Found   bool                   `json:"found"`
	Hosting LocalRegistryHostingV1 `json:"hosting"`
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig file")
	contextName := flag.String("context", "", "context (default: the file's current-context)")
	flag.Parse()
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: *kubeconfig}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: *contextName})
	raw, err := loader.RawConfig()
	if err != nil {
		fail("loading the kubeconfig", err)
	}
	out := result{Context: raw.CurrentContext}
	if *contextName != "" {
		out.Context = *contextName
	}
	config, err := loader.ClientConfig()
	if err != nil {
		fail("building the client", err)
	}
	clients, err := kubernetes.NewForConfig(config)
	if err != nil {
		fail("building the client", err)
	}
	cm, err := clients.CoreV1().ConfigMaps(configMapNamespace).Get(context.Background(), configMapName, metav1.GetOptions{})
	switch {
	case err == nil:
		if err := yaml.Unmarshal([]byte(cm.Data[configMapField]), &out.Hosting); err != nil {
			fail("decoding "+configMapField, err)
		}
		out.Found = out.Hosting != (LocalRegistryHostingV1{})
	case apierrors.IsNotFound(err) || apierrors.IsForbidden(err):
		// Tilt's reader: no ConfigMap, or no access to kube-public, means no local registry.
	default:
		fail("reading the ConfigMap", err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("printing", err)
	}
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "kep1755-read: %s: %v\n", what, err)
	os.Exit(1)
}
