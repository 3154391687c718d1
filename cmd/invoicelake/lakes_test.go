package main

import (
	"context"
	"testing"

	"github.com/invoicelake/invoicelake/load"
)

// onlyAccount opens the part of the lake in b of its one account (the
// tests that export a single account read the lake through it).
func onlyAccount(t testing.TB, b load.Bucket) *load.Lake {
	t.Helper()
	accts, _, err := load.Accounts(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 1 {
		t.Fatalf("the lake holds accounts %v, want exactly one", accts)
	}
	return load.NewLake(b, load.Options{Account: accts[0]})
}
