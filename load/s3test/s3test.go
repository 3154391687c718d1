// Package s3test runs a real S3-compatible server (versitygw with a posix
// backend in a temporary folder) on 127.0.0.1 for tests, with one bucket,
// static credentials, and Stop/Restart for failure tests.
//
// The versitygw binary is looked up on PATH, then in $GOPATH/bin (where
// `make test` installs it). When it is missing, Start skips the test, or
// fails it when the environment variable CI is set.
package s3test

import (
	"bytes"
	"context"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Server is a running versitygw.
type Server struct {
	Endpoint  string // http://127.0.0.1:PORT
	Bucket    string
	Region    string
	AccessKey string
	SecretKey string

	t    testing.TB
	bin  string
	addr string
	dir  string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *bytes.Buffer
}

// Binary returns the versitygw path, or "" if it is not installed.
func Binary() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "versitygw")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// Start starts versitygw on a free 127.0.0.1 port with a posix backend in a
// temporary folder, creates the bucket "lake", and stops the server when
// the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("s3test: versitygw not found on PATH or in $GOPATH/bin (run `make tools`)")
		}
		t.Skip("s3test: versitygw not installed (run `make tools`)")
	}
	s := &Server{
		Bucket:    "lake",
		Region:    "us-east-1",
		AccessKey: "invoicelake-test",
		SecretKey: "invoicelake-test-secret",
		t:         t,
		bin:       bin,
		dir:       t.TempDir(),
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("s3test: free port: %v", err)
	}
	s.addr = "127.0.0.1:" + strconv.Itoa(port)
	s.Endpoint = "http://" + s.addr
	t.Cleanup(s.Stop)
	if err := s.start(); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s.Bucket)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v\n%s", s.Bucket, err, s.output())
	}
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	out := new(bytes.Buffer)
	cmd := exec.Command(s.bin,
		"--port", s.addr,
		"--region", s.Region,
		"--quiet",
		"posix", s.dir)
	// Credentials through the environment, not argv (ps shows argv).
	cmd.Env = append(os.Environ(),
		"ROOT_ACCESS_KEY_ID="+s.AccessKey,
		"ROOT_SECRET_ACCESS_KEY="+s.SecretKey)
	cmd.Stdout, cmd.Stderr = out, out
	setPdeathsig(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	s.cmd, s.out = cmd, out
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.Endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw did not answer on %s: %v\n%s", s.addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

// Stop kills the server (SIGKILL: like a crash or a network cut, nothing is
// flushed) and waits for it. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts a stopped server again on the same address and folder.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("s3test: restart: %v", err)
	}
}

// Credentials returns the server's static credentials.
func (s *Server) Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, "")
}

// Client returns a path-style S3 client for the server.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  s.Credentials(),
	})
}

// Dir is the posix backend's root folder (the bucket is Dir()/Bucket).
func (s *Server) Dir() string { return s.dir }
