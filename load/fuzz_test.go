package load

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheckKey: a key the buckets accept never leaves the location's root
// and maps to the same name on S3 and in a folder.
func FuzzCheckKey(f *testing.F) {
	for _, k := range []string{"a/b", "invoices/billing_period=2024-03/part-00000-ab.parquet", "../x", "a//b", "/abs", "a/./b", "a b/c=d", "\x00"} {
		f.Add(k)
	}
	root := filepath.FromSlash("/lake/root")
	f.Fuzz(func(t *testing.T, key string) {
		if checkKey(key) != nil {
			return
		}
		p := filepath.Join(root, filepath.FromSlash(key))
		if !strings.HasPrefix(p, root+string(filepath.Separator)) {
			t.Fatalf("key %q maps to %q outside %q", key, p, root)
		}
		if got := filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator))); got != key {
			t.Fatalf("key %q maps back to %q", key, got)
		}
	})
}
