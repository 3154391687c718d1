package configs

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
)

// release returns the Makefile's RELEASE: the release this tree prepares.
func release(t *testing.T) string {
	t.Helper()
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RELEASE := (\d+\.\d+\.\d+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("the Makefile has no RELEASE := X.Y.Z line")
	}
	return string(m[1])
}

// TestReleaseVersionAgrees: the Makefile's RELEASE, the Dockerfile's
// default VERSION (both stages) and the image every manifest runs, as
// kubectl kustomize renders the base and the accounts overlay and as the
// files say, are one version.
func TestReleaseVersionAgrees(t *testing.T) {
	rel := release(t)
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	args := regexp.MustCompile(`(?m)^ARG VERSION=(\S+)$`).FindAllSubmatch(df, -1)
	if len(args) != 2 {
		t.Errorf("the Dockerfile declares ARG VERSION= %d times, want 2 (build and final stage)", len(args))
	}
	for _, a := range args {
		if string(a[1]) != rel {
			t.Errorf("Dockerfile ARG VERSION=%s, the Makefile's RELEASE %s", a[1], rel)
		}
	}
	want := "ghcr.io/invoicelake/invoicelake:" + rel
	for _, dir := range []string{k8sDir + "/base", k8sDir + "/" + k8sAccountsDir} {
		images := 0
		for _, o := range kustomize(t, dir) {
			var spec []string
			switch x := o.(type) {
			case *batchv1.CronJob:
				for _, c := range x.Spec.JobTemplate.Spec.Template.Spec.Containers {
					spec = append(spec, c.Image)
				}
			case *appsv1.Deployment:
				for _, c := range x.Spec.Template.Spec.Containers {
					spec = append(spec, c.Image)
				}
			}
			for _, img := range spec {
				images++
				if img != want {
					t.Errorf("%s renders image %s, want %s (the Makefile's RELEASE)", dir, img, want)
				}
			}
		}
		if images == 0 {
			t.Errorf("%s renders no container", dir)
		}
	}
	// The files themselves, for whoever applies them without kustomize.
	var files []string
	filepath.WalkDir(k8sDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatalf("no manifest under %s", k8sDir)
	}
	re := regexp.MustCompile(`ghcr\.io/invoicelake/invoicelake:(\S+)|newTag: (\S+)`)
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			if tag := m[1] + m[2]; tag != rel {
				t.Errorf("%s names the image tag %s, want %s", f, tag, rel)
			}
		}
	}
}

// TestMakefileVersion: make computes the build's version from git (or
// falls back to RELEASE-dev) and passes version, commit and build date to
// the linker.
func TestMakefileVersion(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	rel := release(t)
	out, err := exec.Command("make", "-s", "-C", "..", "version").Output()
	if err != nil {
		t.Fatalf("make version: %v", err)
	}
	v := strings.TrimSpace(string(out))
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(v) {
		t.Errorf("make version = %q, want X.Y.Z or X.Y.Z-suffix (an image tag)", v)
	}
	if desc, err := exec.Command("git", "describe", "--tags", "--match", "v[0-9]*").Output(); err != nil || len(desc) == 0 {
		if !strings.HasPrefix(v, rel+"-dev") {
			t.Errorf("make version = %q with no release tag, want %s-dev...", v, rel)
		}
	}
	dry, err := exec.Command("make", "-s", "-n", "-C", "..", "build").Output()
	if err != nil {
		t.Fatalf("make -n build: %v", err)
	}
	for _, want := range []string{"-X main.version=" + v, "-X main.commit=", "-X main.buildDate=", "CGO_ENABLED=0"} {
		if !strings.Contains(string(dry), want) {
			t.Errorf("make build does not pass %q:\n%s", want, dry)
		}
	}
}
