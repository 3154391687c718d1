package configs

import _ "embed"

// Example is the documented example configuration (example.yaml).
//
//go:embed example.yaml
var Example []byte
