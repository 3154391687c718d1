package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// indexScratch is the transform.Scratch of one invoice's Index: a
// temporary file, created on the Index's first write (an invoice small
// enough for memory never creates one), unlinked at once where the OS
// allows so that it goes with the process however it ends, and removed by
// Close. The Index decides when it needs it; nothing here knows its bound.
type indexScratch struct {
	dir  string
	f    *os.File
	path string // the file's name while it still has one
}

func (s *indexScratch) WriteAt(p []byte, off int64) (int, error) {
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "invoicelake-index-*")
		if err != nil {
			return 0, err
		}
		s.f, s.path = f, f.Name()
		if os.Remove(s.path) == nil {
			s.path = ""
		}
	}
	return s.f.WriteAt(p, off)
}

func (s *indexScratch) ReadAt(p []byte, off int64) (int, error) {
	if s.f == nil {
		return 0, io.EOF
	}
	return s.f.ReadAt(p, off)
}

// Close releases the file, if one was made.
func (s *indexScratch) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if s.path != "" {
		if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
		s.path = ""
	}
	if err != nil {
		return fmt.Errorf("index scratch: %w", err)
	}
	return nil
}
