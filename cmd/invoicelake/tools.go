//go:build tools

// This file pins the modules the packages are being built against while
// they are written in parallel; it is never compiled into a binary.
package main

import (
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/credentials"
	_ "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	_ "github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/duckdb/duckdb-go/v2"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/parquet-go/parquet-go"
	_ "github.com/robfig/cron/v3"
	_ "github.com/softlayer/softlayer-go/session"
	_ "go.uber.org/goleak"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/time/rate"
	_ "gopkg.in/yaml.v3"
)
