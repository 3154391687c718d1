package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// pageStore records the API answers a run receives, one file per answer,
// and serves them again byte for byte. Recording: src is the simulator's
// handler. Replaying: a request that was not recorded (a page boundary the
// recording pass did not use, e.g. after an adaptive page-size change) is
// passed to src without being recorded, and counted in misses.
//
// Files: DIR/invoices/NNNNNN.json (getInvoices pages), DIR/items/NNNNNN.json
// (getItems pages), DIR/other/NNNNNN.json; DuckDB reads the first two.
type pageStore struct {
	dir       string
	src       http.Handler
	recording bool

	mu     sync.Mutex
	pages  map[string]storedPage // by request URI
	seq    int
	err    error
	misses atomic.Int64
}

type storedPage struct {
	path  string
	total string // SoftLayer-Total-Items
}

func newPageStore(dir string, src http.Handler) (*pageStore, error) {
	for _, sub := range []string{"invoices", "items", "other"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	return &pageStore{dir: dir, src: src, recording: true, pages: map[string]storedPage{}}, nil
}

func (s *pageStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.URL.RequestURI()
	s.mu.Lock()
	p, ok := s.pages[key]
	s.mu.Unlock()
	if ok {
		body, err := os.ReadFile(p.path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if p.total != "" {
			w.Header()["SoftLayer-Total-Items"] = []string{p.total}
		}
		w.Write(body)
		return
	}
	if !s.recording {
		s.misses.Add(1)
	}
	rec := httptest.NewRecorder()
	s.src.ServeHTTP(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	body := rec.Body.Bytes()
	w.Write(body)
	if rec.Code != http.StatusOK || !s.recording {
		return
	}
	sub := "other"
	switch {
	case strings.Contains(r.URL.Path, "/getItems"):
		sub = "items"
	case strings.Contains(r.URL.Path, "/getInvoices"):
		sub = "invoices"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.pages[key]; dup {
		return
	}
	s.seq++
	path := filepath.Join(s.dir, sub, fmt.Sprintf("%06d.json", s.seq))
	if err := os.WriteFile(path, body, 0o644); err != nil && s.err == nil {
		s.err = err
	}
	// The simulator sets the header under the API's spelling, a key
	// Header.Get (canonical: Softlayer-Total-Items) does not find.
	var total string
	for k, v := range rec.Header() {
		if strings.EqualFold(k, "SoftLayer-Total-Items") && len(v) == 1 {
			total = v[0]
		}
	}
	s.pages[key] = storedPage{path: path, total: total}
}

// replay returns a store that serves what s recorded, and passes anything
// else to the simulator without recording it.
func (s *pageStore) replay() *pageStore {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &pageStore{dir: s.dir, src: s.src, pages: s.pages}
}

// bytesOf sums the sizes of the files under dir/sub.
func bytesOf(dir string) (int64, int, error) {
	var n int64
	files := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n += fi.Size()
		files++
		return nil
	})
	return n, files, err
}
