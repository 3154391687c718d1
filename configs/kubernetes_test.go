package configs

// Offline checks of the deployment artefacts: the Kubernetes manifests under
// kubernetes/, the IAM policy, the Dockerfile and .dockerignore. Every YAML
// document is decoded strictly into the typed Kubernetes API structs (an
// unknown or misspelt field is an error), then checked for the semantics the
// API server would only reveal at apply time, or never: the schedule parses
// and carries no TZ=, podFailurePolicy fails the Job on exit code 2, images
// are pinned and identical, every Secret, ConfigMap and ServiceAccount
// referenced exists, the mounted config parses with Parse, and the pods run
// as non-root with a read-only root filesystem. The negative tests mutate the
// decoded manifests and check that the checker reports each defect.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // timeZone is checked against the embedded IANA database, not the host's

	"github.com/robfig/cron/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

const (
	k8sDir          = "kubernetes"
	k8sExampleDir   = "example"  // placeholder Secrets, never applied by `kubectl apply -f kubernetes/`
	k8sAccountsDir  = "accounts" // the kustomize overlay: one pod per account
	k8sPlaceholder  = "REPLACE_ME"
	k8sRoleARNKey   = "eks.amazonaws.com/role-arn"
	k8sMetricsPort  = 9090
	k8sBenchmarksMD = "docs/BENCHMARKS.md"
)

// k8sManifests is every object defined under kubernetes/, by type.
type k8sManifests struct {
	CronJobs        []*batchv1.CronJob
	Deployments     []*appsv1.Deployment
	Services        []*corev1.Service
	ConfigMaps      map[string]*corev1.ConfigMap
	Secrets         map[string]*corev1.Secret
	ServiceAccounts map[string]*corev1.ServiceAccount
	file            map[any]string    // object -> file it came from, relative to kubernetes/
	text            map[string]string // file -> raw text (for the comments that must be there)
	dupes           []string
}

var k8sDocSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// decodeK8sDoc decodes one YAML document strictly into its typed API struct.
// It returns nil, nil for a document holding only comments.
func decodeK8sDoc(doc []byte) (any, error) {
	var probe map[string]any
	if err := yaml.Unmarshal(doc, &probe); err != nil {
		return nil, err
	}
	if len(probe) == 0 {
		return nil, nil
	}
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch tm.APIVersion + " " + tm.Kind {
	case "batch/v1 CronJob":
		obj = &batchv1.CronJob{}
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "v1 ConfigMap":
		obj = &corev1.ConfigMap{}
	case "v1 Secret":
		obj = &corev1.Secret{}
	case "v1 ServiceAccount":
		obj = &corev1.ServiceAccount{}
	default:
		return nil, fmt.Errorf("unsupported apiVersion %q kind %q", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
	}
	return obj, nil
}

func loadK8sManifests(t *testing.T) *k8sManifests {
	t.Helper()
	m := &k8sManifests{
		ConfigMaps:      map[string]*corev1.ConfigMap{},
		Secrets:         map[string]*corev1.Secret{},
		ServiceAccounts: map[string]*corev1.ServiceAccount{},
		file:            map[any]string{},
		text:            map[string]string{},
	}
	seen := map[string]string{}
	err := filepath.WalkDir(k8sDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Overlays hold patches, not whole objects: they are checked
		// rendered (TestKustomizeAccounts).
		if d.IsDir() && d.Name() == k8sAccountsDir {
			return filepath.SkipDir
		}
		if d.IsDir() || d.Name() == "kustomization.yaml" {
			return nil
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, k8sDir+string(filepath.Separator)))
		m.text[rel] = string(data)
		for i, doc := range k8sDocSep.Split(string(data), -1) {
			obj, err := decodeK8sDoc([]byte(doc))
			if err != nil {
				return fmt.Errorf("%s document %d: %w", rel, i+1, err)
			}
			if obj == nil {
				continue
			}
			var meta metav1.ObjectMeta
			switch o := obj.(type) {
			case *batchv1.CronJob:
				m.CronJobs, meta = append(m.CronJobs, o), o.ObjectMeta
			case *appsv1.Deployment:
				m.Deployments, meta = append(m.Deployments, o), o.ObjectMeta
			case *corev1.Service:
				m.Services, meta = append(m.Services, o), o.ObjectMeta
			case *corev1.ConfigMap:
				m.ConfigMaps[o.Name], meta = o, o.ObjectMeta
			case *corev1.Secret:
				m.Secrets[o.Name], meta = o, o.ObjectMeta
			case *corev1.ServiceAccount:
				m.ServiceAccounts[o.Name], meta = o, o.ObjectMeta
			}
			m.file[obj] = rel
			id := fmt.Sprintf("%T/%s", obj, meta.Name)
			if prev, ok := seen[id]; ok {
				m.dupes = append(m.dupes, fmt.Sprintf("%s defined twice (%s, %s)", id, prev, rel))
			}
			seen[id] = rel
		}
		return nil
	})
	if err != nil {
		t.Fatalf("load %s: %v", k8sDir, err)
	}
	return m
}

// k8sPod is one pod template to check, with what its owner expects of it.
type k8sPod struct {
	where   string // "CronJob/invoicelake"
	file    string
	command string // the invoicelake subcommand it must run
	spec    corev1.PodSpec
}

// problems returns every defect found, or nil.
func (m *k8sManifests) problems() []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	p = append(p, m.dupes...)

	if len(m.CronJobs) == 0 {
		bad("no CronJob defined")
	}
	if len(m.Deployments) == 0 {
		bad("no Deployment defined for serve")
	}
	for obj, file := range m.file {
		meta := k8sMeta(obj)
		if meta.Name == "" {
			bad("%s: an object has no metadata.name", file)
		}
		if meta.Namespace != "" {
			bad("%s: %s sets metadata.namespace %q: leave it to kubectl -n / kustomize", file, meta.Name, meta.Namespace)
		}
	}

	images := map[string][]string{}
	for _, cj := range m.CronJobs {
		where := "CronJob/" + cj.Name
		checkK8sSchedule(where, cj.Spec.Schedule, bad)
		if tz := cj.Spec.TimeZone; tz == nil || *tz == "" {
			bad("%s: timeZone is not set", where)
		} else if _, err := time.LoadLocation(*tz); err != nil {
			bad("%s: timeZone %q: %v", where, *tz, err)
		}
		if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
			bad("%s: concurrencyPolicy is %q, want Forbid", where, cj.Spec.ConcurrencyPolicy)
		}
		if d := cj.Spec.StartingDeadlineSeconds; d == nil || *d <= 0 {
			bad("%s: startingDeadlineSeconds is not set", where)
		}
		js := cj.Spec.JobTemplate.Spec
		if b := js.BackoffLimit; b == nil || *b < 1 || *b > 3 {
			bad("%s: backoffLimit is %s, want 1..3 (each request is already retried in-process)", where, k8sPtrString(b))
		}
		if d := js.ActiveDeadlineSeconds; d == nil || *d <= 0 {
			bad("%s: activeDeadlineSeconds is not set", where)
		}
		if js.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			bad("%s: restartPolicy is %q, want Never (required by podFailurePolicy)", where, js.Template.Spec.RestartPolicy)
		}
		checkK8sPodFailurePolicy(where, js.PodFailurePolicy, js.Template.Spec.Containers, bad)
		pod := k8sPod{where: where, file: m.file[cj], command: "run", spec: js.Template.Spec}
		if cfg, ok := m.checkK8sPod(pod, images, bad); ok && js.ActiveDeadlineSeconds != nil {
			// A retried pod must be able to outwait the lease of a killed
			// predecessor's lock (the heartbeat stops when the pod dies), and
			// the Job must leave it the time to do so.
			if cfg.Lake.LockWait.D() < cfg.Lake.Lease.D() {
				bad("%s: lake.lock_wait %s is shorter than lake.lock_lease %s: a retry after a killed run would give up before its lock expires", where, cfg.Lake.LockWait.D(), cfg.Lake.Lease.D())
			}
			if d := time.Duration(*js.ActiveDeadlineSeconds) * time.Second; d <= 2*cfg.Lake.LockWait.D() {
				bad("%s: activeDeadlineSeconds %s leaves no time to run after waiting lake.lock_wait %s", where, d, cfg.Lake.LockWait.D())
			}
		}
	}

	for _, d := range m.Deployments {
		where := "Deployment/" + d.Name
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
			bad("%s: replicas is %s, want 1", where, k8sPtrString(d.Spec.Replicas))
		}
		if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			bad("%s: strategy is %q, want Recreate (two daemons must never overlap)", where, d.Spec.Strategy.Type)
		}
		if !k8sSelects(d.Spec.Selector, d.Spec.Template.Labels) {
			bad("%s: selector %v does not match the template labels %v", where, d.Spec.Selector, d.Spec.Template.Labels)
		}
		spec := d.Spec.Template.Spec
		if rp := spec.RestartPolicy; rp != "" && rp != corev1.RestartPolicyAlways {
			bad("%s: restartPolicy is %q, want Always", where, rp)
		}
		pod := k8sPod{where: where, file: m.file[d], command: "serve", spec: spec}
		cfg, ok := m.checkK8sPod(pod, images, bad)
		if ok {
			g := spec.TerminationGracePeriodSeconds
			if g == nil || time.Duration(*g)*time.Second <= cfg.Schedule.StopTimeout.D() {
				bad("%s: terminationGracePeriodSeconds %s is not longer than schedule.stop_timeout %s", where, k8sPtrString(g), cfg.Schedule.StopTimeout.D())
			}
		}
		checkK8sServe(where, d.Spec.Template, bad)
	}

	for _, s := range m.Services {
		where := "Service/" + s.Name
		var target *appsv1.Deployment
		for _, d := range m.Deployments {
			if len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
				target = d
			}
		}
		if target == nil {
			bad("%s: selector %v matches no Deployment's pods", where, s.Spec.Selector)
			continue
		}
		for _, cj := range m.CronJobs {
			if labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(cj.Spec.JobTemplate.Spec.Template.Labels)) {
				bad("%s: selector %v also matches the CronJob's pods", where, s.Spec.Selector)
			}
		}
		for _, sp := range s.Spec.Ports {
			if _, ok := k8sResolvePort(target.Spec.Template.Spec.Containers, sp.TargetPort); !ok {
				bad("%s: targetPort %s is not a port of Deployment/%s", where, sp.TargetPort.String(), target.Name)
			}
		}
	}

	if len(images) > 1 {
		bad("containers use different images %v: want the same pinned image everywhere", k8sKeys(images))
	}
	for name, sa := range m.ServiceAccounts {
		if !k8sRoleARN.MatchString(sa.Annotations[k8sRoleARNKey]) {
			bad("ServiceAccount/%s: annotation %s is %q, want an IAM role ARN (placeholder) for IRSA", name, k8sRoleARNKey, sa.Annotations[k8sRoleARNKey])
		}
	}
	for name, s := range m.Secrets {
		if dir := path.Dir(m.file[s]); dir != k8sExampleDir {
			bad("Secret/%s: defined in %s, want only under %s/ (kubectl apply -f %s/ must never apply placeholder values)", name, m.file[s], k8sExampleDir, k8sDir)
		}
		for k, v := range s.StringData {
			if !strings.Contains(v, k8sPlaceholder) {
				bad("Secret/%s: value of %s is not a %s placeholder", name, k, k8sPlaceholder)
			}
		}
		for k, v := range s.Data {
			if !bytes.Contains(v, []byte(k8sPlaceholder)) {
				bad("Secret/%s: value of %s is not a %s placeholder", name, k, k8sPlaceholder)
			}
		}
	}
	slices.Sort(p)
	return p
}

var k8sRoleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)

func k8sMeta(obj any) metav1.ObjectMeta {
	switch o := obj.(type) {
	case *batchv1.CronJob:
		return o.ObjectMeta
	case *appsv1.Deployment:
		return o.ObjectMeta
	case *corev1.Service:
		return o.ObjectMeta
	case *corev1.ConfigMap:
		return o.ObjectMeta
	case *corev1.Secret:
		return o.ObjectMeta
	case *corev1.ServiceAccount:
		return o.ObjectMeta
	}
	return metav1.ObjectMeta{}
}

// checkK8sSchedule checks a CronJob schedule the way the API server and the
// CronJob controller (robfig/cron ParseStandard) will.
func checkK8sSchedule(where, spec string, bad func(string, ...any)) {
	if strings.Contains(strings.ToUpper(spec), "TZ=") {
		bad("%s: schedule %q contains TZ=/CRON_TZ=: use spec.timeZone", where, spec)
	}
	if err := k8sParseCron(spec); err != nil {
		bad("%s: schedule %q does not parse: %v", where, spec, err)
	}
}

// k8sParseCron parses spec with cron.ParseStandard, turning a panic (some
// malformed TZ= prefixes panic in robfig/cron v3.0.1) into an error.
func k8sParseCron(spec string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parser panicked: %v", r)
		}
	}()
	_, err = cron.ParseStandard(spec)
	return err
}

func checkK8sPodFailurePolicy(where string, pfp *batchv1.PodFailurePolicy, containers []corev1.Container, bad func(string, ...any)) {
	if pfp == nil {
		bad("%s: podFailurePolicy is not set (exit code 2 must fail the Job)", where)
		return
	}
	var failOn2, ignoreDisruption bool
	for i, r := range pfp.Rules {
		if e := r.OnExitCodes; e != nil {
			if e.ContainerName != nil && !slices.ContainsFunc(containers, func(c corev1.Container) bool { return c.Name == *e.ContainerName }) {
				bad("%s: podFailurePolicy rule %d names container %q, which does not exist", where, i, *e.ContainerName)
			}
			if r.Action == batchv1.PodFailurePolicyActionFailJob && k8sExitMatches(e, 2) {
				failOn2 = true
			}
			if r.Action != batchv1.PodFailurePolicyActionCount && k8sExitMatches(e, 1) {
				bad("%s: podFailurePolicy rule %d (%s) matches exit code 1, which is transient and must be retried", where, i, r.Action)
			}
		}
		for _, c := range r.OnPodConditions {
			if r.Action == batchv1.PodFailurePolicyActionIgnore && c.Type == corev1.DisruptionTarget && (c.Status == "" || c.Status == corev1.ConditionTrue) {
				ignoreDisruption = true
			}
		}
	}
	if !failOn2 {
		bad("%s: podFailurePolicy has no FailJob rule for exit code 2 (config/credentials errors must not be retried)", where)
	}
	if !ignoreDisruption {
		bad("%s: podFailurePolicy has no Ignore rule for DisruptionTarget (evictions would use up backoffLimit)", where)
	}
}

func k8sExitMatches(e *batchv1.PodFailurePolicyOnExitCodesRequirement, code int32) bool {
	in := slices.Contains(e.Values, code)
	switch e.Operator {
	case batchv1.PodFailurePolicyOnExitCodesOpIn:
		return in
	case batchv1.PodFailurePolicyOnExitCodesOpNotIn:
		return !in
	}
	return false
}

// checkK8sPod checks one pod template and returns the configuration its
// container would read, with ok false when it could not be established.
func (m *k8sManifests) checkK8sPod(pod k8sPod, images map[string][]string, bad func(string, ...any)) (cfg Config, ok bool) {
	where, spec := pod.where, pod.spec
	if spec.ServiceAccountName == "" {
		bad("%s: serviceAccountName is not set", where)
	} else if _, found := m.ServiceAccounts[spec.ServiceAccountName]; !found {
		bad("%s: ServiceAccount %q is not defined in the manifests", where, spec.ServiceAccountName)
	}
	psc := spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if u := psc.RunAsUser; u != nil && *u == 0 {
		bad("%s: pod runAsUser is 0 (root)", where)
	}
	if len(spec.Containers) != 1 {
		bad("%s: %d containers, want exactly 1", where, len(spec.Containers))
	}
	if len(spec.InitContainers) > 0 {
		bad("%s: unexpected initContainers", where)
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
		if cm := v.ConfigMap; cm != nil {
			m.checkK8sConfigMapRef(where, cm.Name, cm.Optional, bad)
			for _, it := range cm.Items {
				if c, found := m.ConfigMaps[cm.Name]; found && !k8sHasKey(c.Data, c.BinaryData, it.Key) {
					bad("%s: volume %s: ConfigMap %q has no key %q", where, v.Name, cm.Name, it.Key)
				}
			}
		}
		if s := v.Secret; s != nil {
			m.checkK8sSecretRef(where, s.SecretName, "", s.Optional, bad)
		}
		if v.EmptyDir != nil && v.EmptyDir.Medium == corev1.StorageMediumMemory {
			bad("%s: emptyDir %s is memory-backed: staged Parquet files would count against the memory limit", where, v.Name)
		}
	}

	for _, c := range spec.Containers {
		cw := where + " container " + c.Name
		if err := k8sImagePinned(c.Image); err != nil {
			bad("%s: image %q: %v", cw, c.Image, err)
		}
		images[c.Image] = append(images[c.Image], cw)
		if len(c.Command) > 0 {
			bad("%s: command %v overrides the image ENTRYPOINT; set args only", cw, c.Command)
		}
		if len(c.Args) == 0 || c.Args[0] != pod.command {
			bad("%s: args %v, want the %q subcommand first", cw, c.Args, pod.command)
		}

		// Security context: the container's settings win over the pod's.
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		nonRoot := k8sFirst(sc.RunAsNonRoot, psc.RunAsNonRoot)
		if nonRoot == nil || !*nonRoot {
			bad("%s: runAsNonRoot is not true", cw)
		}
		if u := k8sFirst(sc.RunAsUser, psc.RunAsUser); u != nil && *u == 0 {
			bad("%s: runAsUser is 0 (root)", cw)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			bad("%s: allowPrivilegeEscalation is not false", cw)
		}
		if sc.Privileged != nil && *sc.Privileged {
			bad("%s: privileged", cw)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			bad("%s: readOnlyRootFilesystem is not true", cw)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			bad("%s: capabilities do not drop ALL", cw)
		} else if len(sc.Capabilities.Add) > 0 {
			bad("%s: capabilities add %v", cw, sc.Capabilities.Add)
		}
		seccomp := k8sFirst(sc.SeccompProfile, psc.SeccompProfile)
		if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
			bad("%s: seccompProfile is not RuntimeDefault", cw)
		}

		// Environment: secrets only by reference, every reference resolvable.
		lookup := map[string]string{}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				if k8sSecretName.MatchString(e.Name) {
					bad("%s: env %s has a literal value: secrets must come from a Secret", cw, e.Name)
				}
				lookup[e.Name] = e.Value
				continue
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				m.checkK8sSecretRef(cw, r.Name, r.Key, r.Optional, bad)
				if r.Optional == nil || !*r.Optional {
					lookup[e.Name] = "placeholder-" + e.Name
				}
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				m.checkK8sConfigMapRef(cw, r.Name, r.Optional, bad)
				if cm, found := m.ConfigMaps[r.Name]; found && !k8sHasKey(cm.Data, cm.BinaryData, r.Key) && (r.Optional == nil || !*r.Optional) {
					bad("%s: env %s: ConfigMap %q has no key %q", cw, e.Name, r.Name, r.Key)
				}
				if cm, found := m.ConfigMaps[r.Name]; found && (r.Optional == nil || !*r.Optional) {
					lookup[e.Name] = cm.Data[r.Key]
				}
			}
		}
		for _, ef := range c.EnvFrom {
			if r := ef.SecretRef; r != nil {
				m.checkK8sSecretRef(cw, r.Name, "", r.Optional, bad)
			}
			if r := ef.ConfigMapRef; r != nil {
				m.checkK8sConfigMapRef(cw, r.Name, r.Optional, bad)
			}
		}

		// Resources, sized from the measured peak (docs/BENCHMARKS.md).
		req, lim := c.Resources.Requests, c.Resources.Limits
		for _, r := range []struct {
			list corev1.ResourceList
			name corev1.ResourceName
			what string
		}{{req, corev1.ResourceCPU, "requests.cpu"}, {req, corev1.ResourceMemory, "requests.memory"}, {lim, corev1.ResourceMemory, "limits.memory"}} {
			if q, found := r.list[r.name]; !found || q.IsZero() {
				bad("%s: resources.%s is not set", cw, r.what)
			}
		}
		if rq, lq := req[corev1.ResourceMemory], lim[corev1.ResourceMemory]; !lq.IsZero() && rq.Cmp(lq) > 0 {
			bad("%s: requests.memory %s is above limits.memory %s", cw, rq.String(), lq.String())
		}
		if lq := lim[corev1.ResourceMemory]; !lq.IsZero() {
			if !strings.Contains(m.text[pod.file], k8sBenchmarksMD) {
				bad("%s: %s does not say where the memory figure comes from (%s)", cw, pod.file, k8sBenchmarksMD)
			}
			if v, found := lookup["GOMEMLIMIT"]; found {
				n, err := k8sParseGoMemLimit(v)
				if err != nil {
					bad("%s: GOMEMLIMIT %q: %v", cw, v, err)
				} else if n >= lq.Value() {
					bad("%s: GOMEMLIMIT %s is not below limits.memory %s", cw, v, lq.String())
				}
			}
		}

		// A read-only root filesystem needs a writable TMPDIR for staged files.
		mounts := map[string]corev1.VolumeMount{}
		for _, vm := range c.VolumeMounts {
			mounts[vm.MountPath] = vm
			if _, found := volumes[vm.Name]; !found {
				bad("%s: volumeMount %s names no volume", cw, vm.Name)
			}
		}
		tmp := "/tmp"
		if v, found := lookup["TMPDIR"]; found {
			tmp = v
		}
		if vm, found := mounts[tmp]; !found || volumes[vm.Name].EmptyDir == nil || vm.ReadOnly {
			bad("%s: TMPDIR %s is not a writable emptyDir mount (the root filesystem is read-only)", cw, tmp)
		}

		// The config file: mounted from a ConfigMap and valid for Parse.
		cfgPath, found := k8sFlag(c.Args, "config")
		if !found {
			bad("%s: args %v have no --config", cw, c.Args)
			continue
		}
		data, err := m.k8sMountedConfigMapFile(spec, c, cfgPath)
		if err != nil {
			bad("%s: --config %s: %v", cw, cfgPath, err)
			continue
		}
		cfg, err = Parse([]byte(data), func(k string) (string, bool) { v, ok := lookup[k]; return v, ok })
		if err != nil {
			bad("%s: --config %s does not parse with the container's environment: %v", cw, cfgPath, err)
			continue
		}
		if !strings.HasPrefix(cfg.Lake.Location, "s3://") {
			bad("%s: lake.location %q is not s3://: a pod's filesystem is not a lake", cw, cfg.Lake.Location)
		}
		if cfg.Source.APIKeyFile == "" && cfg.Source.BearerTokenFile == "" {
			if _, found := lookup[cfg.Source.APIKeyEnv]; !found {
				bad("%s: the API key variable %s (source.api_key_env) is not set from a Secret", cw, cfg.Source.APIKeyEnv)
			}
		}
		ok = true
	}
	return cfg, ok
}

// k8sSecretName matches environment variables that hold secrets.
var k8sSecretName = regexp.MustCompile(`(?i)(KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL)`)

func (m *k8sManifests) checkK8sSecretRef(where, name, key string, optional *bool, bad func(string, ...any)) {
	opt := optional != nil && *optional
	s, found := m.Secrets[name]
	switch {
	case !found:
		bad("%s: Secret %q is not defined (add an example under %s/%s)", where, name, k8sDir, k8sExampleDir)
	case key != "" && !opt && !k8sHasKey(s.StringData, s.Data, key):
		bad("%s: Secret %q has no key %q", where, name, key)
	}
}

func (m *k8sManifests) checkK8sConfigMapRef(where, name string, optional *bool, bad func(string, ...any)) {
	if _, found := m.ConfigMaps[name]; !found && (optional == nil || !*optional) {
		bad("%s: ConfigMap %q is not defined", where, name)
	}
}

func k8sHasKey[B any](str map[string]string, bin map[string]B, key string) bool {
	_, a := str[key]
	_, b := bin[key]
	return a || b
}

// k8sMountedConfigMapFile returns the content of the file at p inside the
// container, when it comes from a ConfigMap volume.
func (m *k8sManifests) k8sMountedConfigMapFile(spec corev1.PodSpec, c corev1.Container, p string) (string, error) {
	for _, vm := range c.VolumeMounts {
		var rel string
		switch {
		case vm.SubPath != "" && vm.MountPath == p:
			rel = vm.SubPath
		case vm.SubPath == "" && path.Dir(p) == path.Clean(vm.MountPath):
			rel = path.Base(p)
		default:
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name != vm.Name || v.ConfigMap == nil {
				continue
			}
			cm, found := m.ConfigMaps[v.ConfigMap.Name]
			if !found {
				return "", fmt.Errorf("ConfigMap %q is not defined", v.ConfigMap.Name)
			}
			key := rel
			if len(v.ConfigMap.Items) > 0 {
				key = ""
				for _, it := range v.ConfigMap.Items {
					if it.Path == rel {
						key = it.Key
					}
				}
			}
			data, found := cm.Data[key]
			if !found {
				return "", fmt.Errorf("ConfigMap %q does not provide %s", cm.Name, rel)
			}
			return data, nil
		}
	}
	return "", errors.New("not mounted from a ConfigMap")
}

// checkK8sServe checks what the serve daemon needs: --listen on all
// interfaces, liveness on /healthz and readiness on /readyz at that port,
// scrape annotations.
func checkK8sServe(where string, tpl corev1.PodTemplateSpec, bad func(string, ...any)) {
	for _, c := range tpl.Spec.Containers {
		cw := where + " container " + c.Name
		listen, found := k8sFlag(c.Args, "listen")
		if !found {
			bad("%s: serve has no --listen: the default 127.0.0.1:9090 is unreachable from outside the pod", cw)
			continue
		}
		host, portStr, err := net.SplitHostPort(listen)
		port, perr := strconv.Atoi(portStr)
		if err != nil || perr != nil {
			bad("%s: --listen %q is not host:port", cw, listen)
			continue
		}
		if host != "" && host != "0.0.0.0" && host != "::" {
			bad("%s: --listen %q is not reachable by the kubelet and Prometheus", cw, listen)
		}
		if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return int(p.ContainerPort) == port }) {
			bad("%s: --listen port %d is not a containerPort", cw, port)
		}
		for _, pr := range []struct {
			name, path string
			probe      *corev1.Probe
		}{{"livenessProbe", "/healthz", c.LivenessProbe}, {"readinessProbe", "/readyz", c.ReadinessProbe}} {
			if pr.probe == nil || pr.probe.HTTPGet == nil {
				bad("%s: %s is not an httpGet probe", cw, pr.name)
				continue
			}
			got, ok := k8sResolvePort([]corev1.Container{c}, pr.probe.HTTPGet.Port)
			if pr.probe.HTTPGet.Path != pr.path || !ok || int(got) != port {
				bad("%s: %s is GET %s on port %s, want %s on %d", cw, pr.name, pr.probe.HTTPGet.Path, pr.probe.HTTPGet.Port.String(), pr.path, port)
			}
		}
		an := tpl.Annotations
		if an["prometheus.io/scrape"] != "true" || an["prometheus.io/port"] != strconv.Itoa(port) || an["prometheus.io/path"] != "/metrics" {
			bad("%s: Prometheus annotations %v, want scrape true, port %d, path /metrics", cw, an, port)
		}
	}
}

// k8sFlag returns the value of --name (or -name) in args.
func k8sFlag(args []string, name string) (string, bool) {
	for i, a := range args {
		for _, dash := range []string{"--", "-"} {
			if a == dash+name && i+1 < len(args) {
				return args[i+1], true
			}
			if v, ok := strings.CutPrefix(a, dash+name+"="); ok {
				return v, true
			}
		}
	}
	return "", false
}

func k8sResolvePort(cs []corev1.Container, p intstr.IntOrString) (int32, bool) {
	for _, c := range cs {
		for _, cp := range c.Ports {
			if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
				return cp.ContainerPort, true
			}
		}
	}
	return 0, false
}

func k8sSelects(sel *metav1.LabelSelector, lbls map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(labels.Set(lbls))
}

// k8sImagePinned reports an image that is not pinned to a tag or digest.
func k8sImagePinned(img string) error {
	if img == "" {
		return errors.New("empty")
	}
	if strings.Contains(img, "@sha256:") {
		return nil
	}
	last := img[strings.LastIndex(img, "/")+1:]
	_, tag, found := strings.Cut(last, ":")
	switch {
	case !found:
		return errors.New("no tag (that means :latest): pin a release tag or a digest")
	case tag == "" || tag == "latest":
		return errors.New(":latest is not pinned")
	}
	return nil
}

// k8sParseGoMemLimit parses a GOMEMLIMIT value (bytes, or with a B, KiB,
// MiB, GiB or TiB suffix) as the Go runtime does.
func k8sParseGoMemLimit(s string) (int64, error) {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}, {"", 1}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil {
				return 0, err
			}
			return n * u.mult, nil
		}
	}
	return 0, errors.New("unreachable")
}

func k8sFirst[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

func k8sPtrString[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func k8sKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestKubernetesManifests(t *testing.T) {
	m := loadK8sManifests(t)
	if got := m.problems(); len(got) > 0 {
		t.Errorf("got %d problems, want none:\n%s", len(got), strings.Join(got, "\n"))
	}
	// What the rest of this file relies on being there.
	want := map[string]int{"CronJob": 1, "Deployment": 1, "Service": 1, "ConfigMap": 1, "ServiceAccount": 1}
	got := map[string]int{"CronJob": len(m.CronJobs), "Deployment": len(m.Deployments), "Service": len(m.Services), "ConfigMap": len(m.ConfigMaps), "ServiceAccount": len(m.ServiceAccounts)}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s objects: got %d, want %d", k, got[k], w)
		}
	}
	if _, ok := m.Secrets["invoicelake-softlayer"]; !ok {
		t.Errorf("Secret invoicelake-softlayer: got none, want an example under %s/%s", k8sDir, k8sExampleDir)
	}
}

func TestKubernetesStrictDecoding(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"misspelt field", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec:\n  schedule: '1 2 * * *'\n  jobTemplate:\n    spec:\n      backofLimit: 2\n", "backofLimit"},
		{"field at the wrong level", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: 1\n  restartPolicy: Always\n", "restartPolicy"},
		{"duplicate field", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\ndata: {c: d}\n", "data"},
		{"wrong type", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec:\n  concurrencyPolicy: Forbid\n  startingDeadlineSeconds: soon\n", "startingDeadlineSeconds"},
		{"unknown kind", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\n", "unsupported"},
		{"wrong apiVersion", "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: x}\n", "unsupported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := decodeK8sDoc([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %T, %v; want an error mentioning %q", obj, err, tt.want)
			}
		})
	}
	if obj, err := decodeK8sDoc([]byte("# only a comment\n")); obj != nil || err != nil {
		t.Errorf("comment-only document: got %v, %v; want nil, nil", obj, err)
	}
}

func TestKubernetesCheckerFindsDefects(t *testing.T) {
	cronJob := func(m *k8sManifests) *batchv1.CronJob { return m.CronJobs[0] }
	job := func(m *k8sManifests) *batchv1.JobSpec { return &m.CronJobs[0].Spec.JobTemplate.Spec }
	jobC := func(m *k8sManifests) *corev1.Container { return &job(m).Template.Spec.Containers[0] }
	dep := func(m *k8sManifests) *appsv1.Deployment { return m.Deployments[0] }
	depC := func(m *k8sManifests) *corev1.Container { return &m.Deployments[0].Spec.Template.Spec.Containers[0] }
	env := func(c *corev1.Container, name string) *corev1.EnvVar {
		for i := range c.Env {
			if c.Env[i].Name == name {
				return &c.Env[i]
			}
		}
		panic("no env " + name)
	}
	setConfig := func(m *k8sManifests, f func(string) string) {
		for _, cm := range m.ConfigMaps {
			cm.Data["config.yaml"] = f(cm.Data["config.yaml"])
		}
	}
	ptr := func(v int64) *int64 { return &v }
	no, yes := false, true

	tests := []struct {
		name   string
		mutate func(m *k8sManifests)
		want   string
	}{
		{"CRON_TZ in schedule", func(m *k8sManifests) { cronJob(m).Spec.Schedule = "CRON_TZ=UTC 17 3 * * *" }, "contains TZ="},
		{"TZ= in schedule", func(m *k8sManifests) { cronJob(m).Spec.Schedule = "TZ=Europe/Paris 17 3 * * *" }, "contains TZ="},
		{"bare TZ= does not panic", func(m *k8sManifests) { cronJob(m).Spec.Schedule = "TZ=" }, "does not parse"},
		{"schedule out of range", func(m *k8sManifests) { cronJob(m).Spec.Schedule = "61 3 * * *" }, "does not parse"},
		{"six fields", func(m *k8sManifests) { cronJob(m).Spec.Schedule = "0 17 3 * * *" }, "does not parse"},
		{"no timeZone", func(m *k8sManifests) { cronJob(m).Spec.TimeZone = nil }, "timeZone is not set"},
		{"bad timeZone", func(m *k8sManifests) { tz := "Mars/Olympus"; cronJob(m).Spec.TimeZone = &tz }, "timeZone \"Mars/Olympus\""},
		{"concurrency allowed", func(m *k8sManifests) { cronJob(m).Spec.ConcurrencyPolicy = batchv1.AllowConcurrent }, "want Forbid"},
		{"no startingDeadlineSeconds", func(m *k8sManifests) { cronJob(m).Spec.StartingDeadlineSeconds = nil }, "startingDeadlineSeconds"},
		{"large backoffLimit", func(m *k8sManifests) { b := int32(6); job(m).BackoffLimit = &b }, "backoffLimit is 6"},
		{"no activeDeadlineSeconds", func(m *k8sManifests) { job(m).ActiveDeadlineSeconds = nil }, "activeDeadlineSeconds is not set"},
		{"deadline shorter than the lock wait", func(m *k8sManifests) { job(m).ActiveDeadlineSeconds = ptr(300) }, "lock_wait"},
		{"restartPolicy OnFailure", func(m *k8sManifests) { job(m).Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure }, "want Never"},
		{"no podFailurePolicy", func(m *k8sManifests) { job(m).PodFailurePolicy = nil }, "podFailurePolicy is not set"},
		{"no FailJob rule", func(m *k8sManifests) {
			job(m).PodFailurePolicy.Rules = slices.DeleteFunc(job(m).PodFailurePolicy.Rules, func(r batchv1.PodFailurePolicyRule) bool {
				return r.Action == batchv1.PodFailurePolicyActionFailJob
			})
		}, "no FailJob rule for exit code 2"},
		{"FailJob on exit 1 too", func(m *k8sManifests) { job(m).PodFailurePolicy.Rules[0].OnExitCodes.Values = []int32{1, 2} }, "matches exit code 1"},
		{"FailJob rule names another container", func(m *k8sManifests) { n := "sidecar"; job(m).PodFailurePolicy.Rules[0].OnExitCodes.ContainerName = &n }, "names container \"sidecar\""},
		{"no DisruptionTarget rule", func(m *k8sManifests) { job(m).PodFailurePolicy.Rules = job(m).PodFailurePolicy.Rules[:1] }, "DisruptionTarget"},
		{"DisruptionTarget rule on status False", func(m *k8sManifests) {
			job(m).PodFailurePolicy.Rules[1].OnPodConditions[0].Status = corev1.ConditionFalse
		}, "DisruptionTarget"},
		{"latest image", func(m *k8sManifests) { depC(m).Image = "ghcr.io/invoicelake/invoicelake:latest" }, ":latest is not pinned"},
		{"untagged image", func(m *k8sManifests) { jobC(m).Image = "localhost:5000/invoicelake" }, "no tag"},
		{"images differ", func(m *k8sManifests) { jobC(m).Image = "ghcr.io/invoicelake/invoicelake:0.0.9" }, "different images"},
		{"command overrides entrypoint", func(m *k8sManifests) { jobC(m).Command = []string{"/bin/sh", "-c"} }, "overrides the image ENTRYPOINT"},
		{"wrong subcommand", func(m *k8sManifests) { jobC(m).Args[0] = "serve" }, "want the \"run\" subcommand"},
		{"undefined Secret", func(m *k8sManifests) { env(jobC(m), "SL_API_KEY").ValueFrom.SecretKeyRef.Name = "nope" }, "Secret \"nope\" is not defined"},
		{"missing Secret key", func(m *k8sManifests) { env(depC(m), "SL_API_KEY").ValueFrom.SecretKeyRef.Key = "API_KEY" }, "has no key \"API_KEY\""},
		{"literal API key", func(m *k8sManifests) {
			e := env(jobC(m), "SL_API_KEY")
			e.ValueFrom, e.Value = nil, "0123456789abcdef"
		}, "env SL_API_KEY has a literal value"},
		{"API key variable not set", func(m *k8sManifests) {
			c := jobC(m)
			c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "SL_API_KEY" })
		}, "source.api_key_env"},
		{"undefined ConfigMap", func(m *k8sManifests) { dep(m).Spec.Template.Spec.Volumes[0].ConfigMap.Name = "other" }, "ConfigMap \"other\" is not defined"},
		{"config not mounted", func(m *k8sManifests) { jobC(m).Args[2] = "/etc/other/config.yaml" }, "not mounted from a ConfigMap"},
		{"config with an unknown key", func(m *k8sManifests) { setConfig(m, func(s string) string { return s + "bogus: 1\n" }) }, "does not parse"},
		{"config with an unset variable", func(m *k8sManifests) {
			setConfig(m, func(s string) string { return strings.Replace(s, "${SL_USERNAME}", "${SL_USER}", 1) })
		}, "${SL_USER} is not set"},
		{"config with a local lake", func(m *k8sManifests) {
			setConfig(m, func(s string) string {
				return strings.Replace(s, "s3://example-billing-lake/softlayer", "/var/lake", 1)
			})
		}, "is not s3://"},
		{"undefined ServiceAccount", func(m *k8sManifests) { job(m).Template.Spec.ServiceAccountName = "default-sa" }, "ServiceAccount \"default-sa\" is not defined"},
		{"no IRSA annotation", func(m *k8sManifests) {
			for _, sa := range m.ServiceAccounts {
				delete(sa.Annotations, k8sRoleARNKey)
			}
		}, "want an IAM role ARN"},
		{"runs as root", func(m *k8sManifests) { jobC(m).SecurityContext.RunAsUser = ptr(0) }, "runAsUser is 0"},
		{"runAsNonRoot false", func(m *k8sManifests) { depC(m).SecurityContext.RunAsNonRoot = &no }, "runAsNonRoot is not true"},
		{"privilege escalation", func(m *k8sManifests) { jobC(m).SecurityContext.AllowPrivilegeEscalation = &yes }, "allowPrivilegeEscalation"},
		{"privileged", func(m *k8sManifests) { depC(m).SecurityContext.Privileged = &yes }, "privileged"},
		{"writable root", func(m *k8sManifests) { jobC(m).SecurityContext.ReadOnlyRootFilesystem = &no }, "readOnlyRootFilesystem"},
		{"capabilities kept", func(m *k8sManifests) { jobC(m).SecurityContext.Capabilities.Drop = nil }, "drop ALL"},
		{"capability added", func(m *k8sManifests) { jobC(m).SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"} }, "capabilities add"},
		{"no seccomp", func(m *k8sManifests) { dep(m).Spec.Template.Spec.SecurityContext.SeccompProfile = nil }, "seccompProfile"},
		{"no /tmp volume", func(m *k8sManifests) {
			c := jobC(m)
			c.VolumeMounts = slices.DeleteFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == "/tmp" })
		}, "TMPDIR /tmp is not a writable emptyDir"},
		{"memory-backed /tmp", func(m *k8sManifests) {
			for i := range job(m).Template.Spec.Volumes {
				if v := &job(m).Template.Spec.Volumes[i]; v.EmptyDir != nil {
					v.EmptyDir.Medium = corev1.StorageMediumMemory
				}
			}
		}, "memory-backed"},
		{"no memory limit", func(m *k8sManifests) { delete(jobC(m).Resources.Limits, corev1.ResourceMemory) }, "limits.memory is not set"},
		{"no cpu request", func(m *k8sManifests) { delete(depC(m).Resources.Requests, corev1.ResourceCPU) }, "requests.cpu is not set"},
		{"request above limit", func(m *k8sManifests) { jobC(m).Resources.Requests[corev1.ResourceMemory] = resource.MustParse("1Gi") }, "is above limits.memory"},
		{"GOMEMLIMIT above the limit", func(m *k8sManifests) { env(jobC(m), "GOMEMLIMIT").Value = "1GiB" }, "GOMEMLIMIT 1GiB is not below"},
		{"no sizing note", func(m *k8sManifests) {
			f := m.file[m.CronJobs[0]]
			m.text[f] = strings.ReplaceAll(m.text[f], k8sBenchmarksMD, "")
		}, "does not say where the memory figure comes from"},
		{"two replicas", func(m *k8sManifests) { r := int32(2); dep(m).Spec.Replicas = &r }, "replicas is 2"},
		{"rolling update", func(m *k8sManifests) { dep(m).Spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType }, "want Recreate"},
		{"selector mismatch", func(m *k8sManifests) { dep(m).Spec.Selector.MatchLabels["app.kubernetes.io/component"] = "other" }, "does not match the template labels"},
		{"no --listen", func(m *k8sManifests) { depC(m).Args = depC(m).Args[:3] }, "serve has no --listen"},
		{"loopback --listen", func(m *k8sManifests) { depC(m).Args[4] = "127.0.0.1:9090" }, "not reachable"},
		{"--listen port not exposed", func(m *k8sManifests) { depC(m).Args[4] = ":9091" }, "port 9091 is not a containerPort"},
		{"probe on the wrong path", func(m *k8sManifests) { depC(m).LivenessProbe.HTTPGet.Path = "/metrics" }, "livenessProbe is GET /metrics"},
		{"no readiness probe", func(m *k8sManifests) { depC(m).ReadinessProbe = nil }, "readinessProbe is not an httpGet probe"},
		{"no scrape annotation", func(m *k8sManifests) { delete(dep(m).Spec.Template.Annotations, "prometheus.io/scrape") }, "Prometheus annotations"},
		{"grace period shorter than stop_timeout", func(m *k8sManifests) { dep(m).Spec.Template.Spec.TerminationGracePeriodSeconds = ptr(30) }, "stop_timeout"},
		{"Service selects nothing", func(m *k8sManifests) { m.Services[0].Spec.Selector = map[string]string{"app": "x"} }, "matches no Deployment"},
		{"Service also selects the Job", func(m *k8sManifests) {
			m.Services[0].Spec.Selector = map[string]string{"app.kubernetes.io/name": "invoicelake"}
		}, "also matches the CronJob"},
		{"Service targets a missing port", func(m *k8sManifests) { m.Services[0].Spec.Ports[0].TargetPort = intstr.FromString("http") }, "targetPort http"},
		{"Secret with a real value", func(m *k8sManifests) {
			m.Secrets["invoicelake-softlayer"].StringData["SL_API_KEY"] = "0123456789abcdef"
		}, "not a REPLACE_ME placeholder"},
		{"Secret applied with the rest", func(m *k8sManifests) { m.file[m.Secrets["invoicelake-softlayer"]] = "common.yaml" }, "want only under example/"},
		{"hard-coded namespace", func(m *k8sManifests) { dep(m).Namespace = "billing" }, "sets metadata.namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := loadK8sManifests(t)
			tt.mutate(m)
			got := m.problems()
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("got problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}

// iamPolicy is an IAM identity policy, decoded strictly: NotAction,
// NotResource, Principal and friends are unknown fields and so errors.
type iamPolicy struct {
	Version   string
	Statement []iamStatement
}

type iamStatement struct {
	Sid       string
	Effect    string
	Action    iamStrings
	Resource  iamStrings
	Condition map[string]map[string]iamStrings `json:",omitempty"`
}

// iamStrings is IAM's "a string or a list of strings".
type iamStrings []string

func (s *iamStrings) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = iamStrings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

func decodeIAMPolicy(data []byte) (iamPolicy, error) {
	var p iamPolicy
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, err
	}
	if dec.More() {
		return p, errors.New("trailing data after the policy")
	}
	return p, nil
}

// iamProblems checks that p grants exactly what the tool needs on
// s3://bucket/prefix and nothing else.
func iamProblems(p iamPolicy, bucket, prefix string) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if p.Version != "2012-10-17" {
		bad("Version is %q, want 2012-10-17", p.Version)
	}
	bucketARN := "arn:aws:s3:::" + bucket
	objectsARN := bucketARN + "/" + prefix + "/*"
	objectActions := []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}
	kmsActions := []string{"kms:GenerateDataKey", "kms:Decrypt"}
	granted := map[string]bool{}
	for i, s := range p.Statement {
		where := fmt.Sprintf("statement %d (%s)", i, s.Sid)
		if s.Effect != "Allow" {
			bad("%s: Effect %q, want Allow", where, s.Effect)
		}
		if len(s.Action) == 0 || len(s.Resource) == 0 {
			bad("%s: no Action or no Resource", where)
		}
		for _, a := range s.Action {
			granted[a] = true
			if strings.Contains(a, "*") {
				bad("%s: wildcard action %q", where, a)
			}
		}
		for _, r := range s.Resource {
			if r == "*" || strings.HasSuffix(r, ":*") || r == "arn:aws:s3:::*" {
				bad("%s: wildcard resource %q", where, r)
			}
		}
		hasKMS := slices.ContainsFunc(s.Action, func(a string) bool { return strings.HasPrefix(a, "kms:") })
		hasS3 := slices.ContainsFunc(s.Action, func(a string) bool { return strings.HasPrefix(a, "s3:") })
		switch {
		case hasKMS && hasS3:
			bad("%s: mixes s3 and kms actions: keep KMS in its own statement", where)
		case hasKMS:
			for _, a := range s.Action {
				if !slices.Contains(kmsActions, a) {
					bad("%s: action %q is not needed", where, a)
				}
			}
			for _, r := range s.Resource {
				if !iamKMSKeyARN.MatchString(r) {
					bad("%s: resource %q is not one KMS key ARN", where, r)
				}
			}
		case slices.Equal(s.Action, []string{"s3:ListBucketMultipartUploads"}):
			// Recovery aborts the multipart uploads a dead run left. This
			// action takes no s3:prefix condition: it is bucket-wide, and
			// alone in its statement so that it is the only bucket-wide one.
			if !slices.Equal(s.Resource, []string{bucketARN}) {
				bad("%s: s3:ListBucketMultipartUploads on %v, want only %s", where, s.Resource, bucketARN)
			}
		case slices.Equal(s.Action, []string{"s3:ListBucket"}):
			if !slices.Equal(s.Resource, []string{bucketARN}) {
				bad("%s: s3:ListBucket on %v, want only %s", where, s.Resource, bucketARN)
			}
			prefixes := s.Condition["StringLike"]["s3:prefix"]
			if len(prefixes) == 0 {
				bad("%s: s3:ListBucket has no StringLike s3:prefix condition: it would list the whole bucket", where)
			}
			for _, pr := range prefixes {
				if !strings.HasPrefix(pr, prefix+"/") {
					bad("%s: s3:prefix %q is outside %s/", where, pr, prefix)
				}
			}
		default:
			for _, a := range s.Action {
				if !slices.Contains(objectActions, a) {
					bad("%s: action %q is not needed (want only %v, and s3:ListBucket alone)", where, a, objectActions)
				}
			}
			for _, r := range s.Resource {
				if r != objectsARN {
					bad("%s: resource %q, want %s", where, r, objectsARN)
				}
			}
		}
	}
	for _, a := range []string{"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucketMultipartUploads", "s3:AbortMultipartUpload"} {
		if !granted[a] {
			bad("%s is not granted: the tool lists, reads, writes and deletes under the prefix, and aborts the uploads a dead run left", a)
		}
	}
	return out
}

var iamKMSKeyARN = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]+$`)

// k8sLakeLocation returns the bucket and prefix of the lake the manifests'
// ConfigMap points at.
func k8sLakeLocation(t *testing.T) (bucket, prefix string) {
	t.Helper()
	m := loadK8sManifests(t)
	cm, ok := m.ConfigMaps["invoicelake-config"]
	if !ok {
		t.Fatal("ConfigMap invoicelake-config: got none, want one")
	}
	cfg, err := Parse([]byte(cm.Data["config.yaml"]), func(string) (string, bool) { return "placeholder", true })
	if err != nil {
		t.Fatalf("ConfigMap config.yaml: %v", err)
	}
	u, err := url.Parse(cfg.Lake.Location)
	if err != nil || u.Scheme != "s3" {
		t.Fatalf("lake.location %q: got %v, want s3://bucket/prefix", cfg.Lake.Location, err)
	}
	return u.Host, strings.Trim(u.Path, "/")
}

func TestIAMPolicy(t *testing.T) {
	data, err := os.ReadFile("iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := decodeIAMPolicy(data)
	if err != nil {
		t.Fatalf("iam-policy.json: %v", err)
	}
	bucket, prefix := k8sLakeLocation(t)
	if prefix == "" {
		t.Fatalf("lake prefix: got empty, want the policy scoped to a prefix")
	}
	if got := iamProblems(p, bucket, prefix); len(got) > 0 {
		t.Errorf("got problems, want none:\n%s", strings.Join(got, "\n"))
	}

	tests := []struct {
		name   string
		mutate func(p *iamPolicy)
		want   string
	}{
		{"s3:*", func(p *iamPolicy) { p.Statement[2].Action = append(p.Statement[2].Action, "s3:*") }, "wildcard action"},
		{"*", func(p *iamPolicy) { p.Statement[2].Action = iamStrings{"*"} }, "wildcard action"},
		{"resource *", func(p *iamPolicy) { p.Statement[2].Resource = iamStrings{"*"} }, "wildcard resource"},
		{"whole bucket", func(p *iamPolicy) { p.Statement[2].Resource = iamStrings{"arn:aws:s3:::" + bucket + "/*"} }, "want arn:aws:s3:::"},
		{"list without condition", func(p *iamPolicy) { p.Statement[0].Condition = nil }, "no StringLike s3:prefix"},
		{"list another prefix", func(p *iamPolicy) { p.Statement[0].Condition["StringLike"]["s3:prefix"] = iamStrings{"*"} }, "is outside"},
		{"extra action", func(p *iamPolicy) { p.Statement[2].Action = append(p.Statement[2].Action, "s3:PutBucketPolicy") }, "is not needed"},
		{"kms on every key", func(p *iamPolicy) { p.Statement[3].Resource = iamStrings{"*"} }, "wildcard resource"},
		{"kms mixed into s3", func(p *iamPolicy) { p.Statement[2].Action = append(p.Statement[2].Action, "kms:Decrypt") }, "mixes s3 and kms"},
		{"deny", func(p *iamPolicy) { p.Statement[2].Effect = "Deny" }, "want Allow"},
		{"no delete", func(p *iamPolicy) { p.Statement[2].Action = iamStrings{"s3:GetObject", "s3:PutObject"} }, "s3:DeleteObject is not granted"},
		{"uploads listed with extra rights", func(p *iamPolicy) {
			p.Statement[1].Action = append(p.Statement[1].Action, "s3:GetObject")
		}, "is not needed"},
		{"uploads listed on another bucket", func(p *iamPolicy) { p.Statement[1].Resource = iamStrings{"arn:aws:s3:::other"} }, "want only arn:aws:s3:::"},
		{"no multipart cleanup", func(p *iamPolicy) { p.Statement = slices.Delete(p.Statement, 1, 2) }, "s3:ListBucketMultipartUploads is not granted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decodeIAMPolicy(data)
			if err != nil {
				t.Fatal(err)
			}
			tt.mutate(&p)
			got := iamProblems(p, bucket, prefix)
			if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tt.want) }) {
				t.Errorf("got problems %q, want one containing %q", got, tt.want)
			}
		})
	}
	for _, doc := range []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"*"}]}`, `{"Version":"2012-10-17"} {}`} {
		if _, err := decodeIAMPolicy([]byte(doc)); err == nil {
			t.Errorf("decode %s: got nil error, want one", doc)
		}
	}
}

// dockerInstruction is one Dockerfile instruction, continuation lines joined.
type dockerInstruction struct {
	cmd, args string
	stage     int // index of the FROM it belongs to
}

func parseDockerfile(text string) []dockerInstruction {
	var out []dockerInstruction
	stage := -1
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, dockerInstruction{cmd: cmd, args: strings.TrimSpace(args), stage: stage})
	}
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue // comments and parser directives; also skipped inside continuations
		}
		if s, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return out
}

var dockerSecretWord = regexp.MustCompile(`(?i)(api_?key|secret|token|password|credential|AKIA[0-9A-Z]{16})`)

// dockerfileProblems checks a Dockerfile's structure: multi-stage, a static
// CGO_ENABLED=0 build, a minimal non-root final image, no secrets.
func dockerfileProblems(text string) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	ins := parseDockerfile(text)
	var froms []dockerInstruction
	for _, in := range ins {
		if in.cmd == "FROM" {
			froms = append(froms, in)
		}
	}
	if len(froms) < 2 {
		bad("%d FROM, want a multi-stage build", len(froms))
		return out
	}
	last := len(froms) - 1
	buildFields := strings.Fields(froms[0].args)
	buildImage, buildName := "", ""
	for i, f := range buildFields {
		switch {
		case strings.HasPrefix(f, "--"):
		case strings.EqualFold(f, "AS") && i+1 < len(buildFields):
			buildName = buildFields[i+1]
		case buildImage == "":
			buildImage = f
		}
	}
	if !strings.HasPrefix(buildImage, "golang:1.26") {
		bad("build stage FROM %q, want golang:1.26", buildImage)
	}
	if buildName == "" {
		bad("build stage is not named (FROM ... AS build)")
	}
	finalImage := strings.Fields(froms[last].args)[0]
	distroless := strings.HasPrefix(finalImage, "gcr.io/distroless/static") && strings.Contains(finalImage, ":nonroot")
	if !distroless && finalImage != "scratch" {
		bad("final stage FROM %q, want gcr.io/distroless/static-debian12:nonroot or scratch", finalImage)
	}

	var built, copied, entry, user, caCerts bool
	for _, in := range ins {
		final := in.stage == last
		switch in.cmd {
		case "RUN":
			if final {
				bad("RUN in the final stage: it must stay minimal (no shell)")
			}
			if strings.Contains(in.args, "go build") {
				built = true
				for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "./cmd/invoicelake"} {
					if !strings.Contains(in.args, want) {
						bad("go build %q lacks %s", in.args, want)
					}
				}
			}
		case "COPY":
			if final && strings.Contains(in.args, "--from="+buildName) {
				copied = true
			}
			if final && strings.Contains(in.args, "ca-certificates") {
				caCerts = true
			}
			if strings.Contains(in.args, ".env") || strings.Contains(in.args, ".aws") {
				bad("COPY %s copies a credentials file", in.args)
			}
		case "ADD":
			bad("ADD %s: use COPY", in.args)
		case "ENV", "ARG":
			if dockerSecretWord.MatchString(in.args) {
				bad("%s %s: secrets never go into an image", in.cmd, in.args)
			}
		case "USER":
			if !final {
				continue
			}
			user = true
			u, _, _ := strings.Cut(in.args, ":")
			if n, err := strconv.Atoi(u); err != nil || n == 0 {
				bad("USER %q, want a numeric non-root uid", in.args)
			}
		case "ENTRYPOINT":
			if !final {
				continue
			}
			var argv []string
			if err := json.Unmarshal([]byte(in.args), &argv); err != nil || len(argv) == 0 || argv[0] != "/invoicelake" {
				bad("ENTRYPOINT %s, want the exec form [\"/invoicelake\"]", in.args)
			}
			entry = true
		}
	}
	if !built {
		bad("no RUN go build in a build stage")
	}
	if !copied {
		bad("the final stage does not COPY --from=%s", buildName)
	}
	if !entry {
		bad("the final stage has no ENTRYPOINT")
	}
	if !user && !distroless {
		bad("the final stage has no USER and its base is not :nonroot")
	}
	if finalImage == "scratch" && !caCerts {
		bad("a scratch image needs CA certificates for HTTPS (COPY ca-certificates.crt)")
	}
	if m := dockerSecretWord.FindString(strings.ReplaceAll(text, "ca-certificates", "")); m != "" {
		bad("the Dockerfile mentions %q: secrets never go into an image", m)
	}
	return out
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if got := dockerfileProblems(text); len(got) > 0 {
		t.Errorf("got problems, want none:\n%s", strings.Join(got, "\n"))
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"single stage", "FROM gcr.io/distroless/static-debian12:nonroot", "", "want a multi-stage build"},
		{"cgo", "CGO_ENABLED=0 GOOS", "CGO_ENABLED=1 GOOS", "lacks CGO_ENABLED=0"},
		{"no trimpath", "go build -trimpath", "go build", "lacks -trimpath"},
		{"root base", "static-debian12:nonroot", "static-debian12:latest", "want gcr.io/distroless/static-debian12:nonroot"},
		{"root user", "USER 65532:65532", "USER root", "numeric non-root uid"},
		{"fat final image", "FROM gcr.io/distroless/static-debian12:nonroot", "FROM golang:1.26", "want gcr.io/distroless"},
		{"secret baked in", "ENTRYPOINT", "ENV SL_API_KEY=abc\nENTRYPOINT", "secrets never go into an image"},
		{"shell entrypoint", `ENTRYPOINT ["/invoicelake"]`, "ENTRYPOINT /invoicelake", "exec form"},
		{"shell in final stage", "ENTRYPOINT", "RUN echo hi\nENTRYPOINT", "RUN in the final stage"},
		{"old go", "golang:1.26", "golang:1.22", "want golang:1.26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(text, tt.old) {
				t.Fatalf("Dockerfile: got no %q to mutate, want one", tt.old)
			}
			got := dockerfileProblems(strings.Replace(text, tt.old, tt.new, 1))
			if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tt.want) }) {
				t.Errorf("got problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestDockerignore(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines[strings.TrimSuffix(strings.TrimPrefix(l, "/"), "/")] = true
		}
	}
	// Build inputs must stay; the embedded configs/*.yaml are compiled in.
	for _, keep := range []string{"go.mod", "go.sum", "configs", "*.yaml", "**/*.yaml", "cmd", "*.go", "**/*.go"} {
		if lines[keep] {
			t.Errorf(".dockerignore: got %q ignored, want it in the build context", keep)
		}
	}
	for _, want := range []string{".git", "bin", "lake", ".env", "**/*.pem", "**/*.key"} {
		if !lines[want] {
			t.Errorf(".dockerignore: got no %q, want it ignored (size, secrets)", want)
		}
	}
}
