package configs

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// kustomize renders a kustomization with the real kubectl (on the machine,
// and installed by .ci/run), the way `kubectl apply -k` would.
func kustomize(t *testing.T, dir string) []any {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed (.ci/run installs it)")
	}
	out, err := exec.Command(kubectl, "kustomize", dir).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v", dir, err)
	}
	var objs []any
	for i, doc := range k8sDocSep.Split(string(out), -1) {
		obj, err := decodeK8sDoc([]byte(doc))
		if err != nil {
			t.Fatalf("kubectl kustomize %s: document %d: %v", dir, i+1, err)
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
	return objs
}

// The base renders to the objects of base/ (strictly decoded, so a patch
// or a base that kubectl would refuse fails here).
func TestKustomizeBase(t *testing.T) {
	kinds := map[string]int{}
	for _, o := range kustomize(t, k8sDir+"/base") {
		kinds[typeName(o)]++
	}
	want := map[string]int{"CronJob": 1, "Deployment": 1, "Service": 1, "ConfigMap": 1, "ServiceAccount": 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%s: got %d, want %d (rendered %v)", k, kinds[k], n, kinds)
		}
	}
}

// The accounts overlay runs one pod per account: an Indexed Job whose
// completions equal the accounts of its configuration, each pod selecting
// its account by index, failing alone.
func TestKustomizeAccounts(t *testing.T) {
	var cj *batchv1.CronJob
	var cm *corev1.ConfigMap
	for _, o := range kustomize(t, k8sDir+"/"+k8sAccountsDir) {
		switch o := o.(type) {
		case *batchv1.CronJob:
			cj = o
		case *corev1.ConfigMap:
			cm = o
		}
	}
	if cj == nil || cm == nil {
		t.Fatalf("rendered overlay: CronJob %v, ConfigMap %v; want both", cj != nil, cm != nil)
	}
	cfg, err := Parse([]byte(cm.Data["config.yaml"]), func(k string) (string, bool) { return "from-the-secret", true })
	if err != nil {
		t.Fatalf("the overlay's config.yaml: %v", err)
	}
	n := int32(len(cfg.Accounts))
	job := cj.Spec.JobTemplate.Spec
	if n < 2 {
		t.Errorf("the overlay's configuration has %d accounts, want several", n)
	}
	if job.CompletionMode == nil || *job.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode: got %v, want Indexed", job.CompletionMode)
	}
	if job.Completions == nil || *job.Completions != n || job.Parallelism == nil || *job.Parallelism != n {
		t.Errorf("completions %v, parallelism %v: want %d each, one pod per account of config.yaml", job.Completions, job.Parallelism, n)
	}
	if job.BackoffLimitPerIndex == nil {
		t.Errorf("backoffLimitPerIndex is not set: one account's retries would count against the others'")
	}
	failIndex := false
	for _, r := range job.PodFailurePolicy.Rules {
		if r.Action == batchv1.PodFailurePolicyActionFailIndex && r.OnExitCodes != nil && slices.Contains(r.OnExitCodes.Values, 2) {
			failIndex = true
		}
		if r.Action == batchv1.PodFailurePolicyActionFailJob {
			t.Errorf("podFailurePolicy fails the whole Job (every account) on a rule: %+v", r)
		}
	}
	if !failIndex {
		t.Errorf("podFailurePolicy: no FailIndex on exit 2: a permanent error of one account would be retried")
	}
	c := job.Template.Spec.Containers[0]
	if !slices.Equal(c.Args, []string{"run", "--config", "/etc/invoicelake/config.yaml", "--account-index", "$(JOB_COMPLETION_INDEX)"}) {
		t.Errorf("args: got %q, want run ... --account-index $(JOB_COMPLETION_INDEX)", c.Args)
	}
	secret := false
	for _, e := range c.EnvFrom {
		secret = secret || (e.SecretRef != nil && e.SecretRef.Name == "invoicelake-accounts")
	}
	if !secret {
		t.Errorf("the pods do not read the accounts' credentials (envFrom secret invoicelake-accounts)")
	}
	for _, a := range cfg.Accounts {
		if a.APIKeyEnv == "" || a.Name == "" {
			t.Errorf("account %+v: want a name and api_key_env", a)
		}
	}
}

func typeName(o any) string { return fmtType(o) }

func fmtType(o any) string {
	switch o.(type) {
	case *batchv1.CronJob:
		return "CronJob"
	case *corev1.ConfigMap:
		return "ConfigMap"
	case *corev1.Service:
		return "Service"
	case *corev1.ServiceAccount:
		return "ServiceAccount"
	case *corev1.Secret:
		return "Secret"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", o), "*v1.")
}
