package modules

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// kubeObject is what configmap and secret have in common: named key/value
// data in a namespace. Values are bytes; a Secret's are masked in output.
type kubeObject interface {
	kind() string
	get(ctx context.Context, cs kubernetes.Interface, ns, name string) (data map[string][]byte, labels map[string]string, found bool, err error)
	// put creates (found=false) or updates the object with exactly data.
	put(ctx context.Context, cs kubernetes.Interface, ns, name string, data map[string][]byte, labels map[string]string, found, dry bool) error
	remove(ctx context.Context, cs kubernetes.Interface, ns, name string, dry bool) error
}

func dryRun(dry bool) []string {
	if dry {
		return []string{metav1.DryRunAll} // server-side dry run: admission runs, nothing is stored
	}
	return nil
}

// configMapObject stores text in data and anything else in binaryData.
type configMapObject struct{}

func (configMapObject) kind() string { return "ConfigMap" }

func (configMapObject) get(ctx context.Context, cs kubernetes.Interface, ns, name string) (map[string][]byte, map[string]string, bool, error) {
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return data, cm.Labels, true, nil
}

func (configMapObject) put(ctx context.Context, cs kubernetes.Interface, ns, name string, data map[string][]byte, labels map[string]string, found, dry bool) error {
	api := cs.CoreV1().ConfigMaps(ns)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if found {
		cur, err := api.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cm = cur
	}
	cm.Data, cm.BinaryData = map[string]string{}, nil
	for k, v := range data {
		if isText(v) {
			cm.Data[k] = string(v)
			continue
		}
		if cm.BinaryData == nil {
			cm.BinaryData = map[string][]byte{}
		}
		cm.BinaryData[k] = v
	}
	cm.Labels = mergeLabels(cm.Labels, labels)
	var err error
	if found {
		_, err = api.Update(ctx, cm, metav1.UpdateOptions{DryRun: dryRun(dry)})
	} else {
		_, err = api.Create(ctx, cm, metav1.CreateOptions{DryRun: dryRun(dry)})
	}
	return err
}

func (configMapObject) remove(ctx context.Context, cs kubernetes.Interface, ns, name string, dry bool) error {
	return cs.CoreV1().ConfigMaps(ns).Delete(ctx, name, metav1.DeleteOptions{DryRun: dryRun(dry)})
}

// secretObject is an Opaque (or typed) Secret.
type secretObject struct{ typ string }

func (secretObject) kind() string { return "Secret" }

func (secretObject) get(ctx context.Context, cs kubernetes.Interface, ns, name string) (map[string][]byte, map[string]string, bool, error) {
	s, err := cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	return s.Data, s.Labels, true, nil
}

func (o secretObject) put(ctx context.Context, cs kubernetes.Interface, ns, name string, data map[string][]byte, labels map[string]string, found, dry bool) error {
	api := cs.CoreV1().Secrets(ns)
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Type: corev1.SecretType(o.typ)}
	if found {
		cur, err := api.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		s = cur
	}
	s.Data, s.StringData = data, nil
	s.Labels = mergeLabels(s.Labels, labels)
	var err error
	if found {
		_, err = api.Update(ctx, s, metav1.UpdateOptions{DryRun: dryRun(dry)})
	} else {
		_, err = api.Create(ctx, s, metav1.CreateOptions{DryRun: dryRun(dry)})
	}
	return err
}

func (secretObject) remove(ctx context.Context, cs kubernetes.Interface, ns, name string, dry bool) error {
	return cs.CoreV1().Secrets(ns).Delete(ctx, name, metav1.DeleteOptions{DryRun: dryRun(dry)})
}

func mergeLabels(cur, want map[string]string) map[string]string {
	if len(want) == 0 {
		return cur
	}
	out := make(map[string]string, len(cur)+len(want))
	for k, v := range cur {
		out[k] = v
	}
	for k, v := range want {
		out[k] = v
	}
	return out
}

// labelsCovered reports whether cur already has every wanted label.
func labelsCovered(cur, want map[string]string) bool {
	for k, v := range want {
		if cur[k] != v {
			return false
		}
	}
	return true
}

func isText(b []byte) bool {
	return !strings.ContainsRune(string(b), 0) && strings.ToValidUTF8(string(b), "\uFFFD") == string(b)
}

// dataEqual compares two key/value sets.
func dataEqual(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || string(v) != string(w) {
			return false
		}
	}
	return true
}

// renderKubeData shows data for a diff: one "key:" block per key, values
// indented; with masked set, values are hidden and only changes are marked.
func renderKubeData(data, other map[string][]byte, masked bool) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := data[k]
		switch {
		case masked:
			mark := ""
			if o, ok := other[k]; ok && string(o) != string(v) {
				mark = " (changed)"
			}
			fmt.Fprintf(&b, "%s: ********%s\n", k, mark)
		case !isText(v):
			fmt.Fprintf(&b, "%s: (binary, %d bytes)\n", k, len(v))
		default:
			fmt.Fprintf(&b, "%s: |\n", k)
			for _, line := range strings.Split(strings.TrimSuffix(string(v), "\n"), "\n") {
				fmt.Fprintf(&b, "  %s\n", line)
			}
		}
	}
	return b.String()
}
