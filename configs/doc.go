// Package configs holds invoicelake's configuration: the documented example
// (example.yaml), the default category map (categories.yaml, embedded), the
// Kubernetes manifests, and Parse, which turns a YAML file into a validated
// Config value. Stage packages (extract, transform, load) never import it;
// cmd translates a Config into their options.
package configs
