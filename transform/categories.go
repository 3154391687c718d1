package transform

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// CategoryMap maps the categoryCode of a top-level invoice item to the
// SoftLayer service its resourceTableId belongs to ("server" ->
// "SoftLayer_Hardware_Server"). A code may also be known to have no service
// (YAML null, e.g. "credit: ~"): its rows get resource_service NULL without
// counting as unknown. The zero value is an empty map. A CategoryMap is
// read-only once a Transformer uses it.
//
// It also names services for people (service_names): "Virtual Servers" for
// SoftLayer_Virtual_Guest, and, for a code known to have no service, a name
// of its own ("Service Credits" for credit).
type CategoryMap struct {
	// services holds one *string per service name, shared by every row that
	// carries it, so mapping allocates nothing per row; nil for a code known
	// to have no service.
	services map[string]*string
	// names holds the readable name of a service, or of a code that has
	// none, one *string per name, shared like services.
	names map[string]*string
}

// categoryFile is the YAML format of a category map:
//
//	categories:
//	  server: SoftLayer_Hardware_Server
//	  credit: ~   # known, no resource service
//	service_names:
//	  SoftLayer_Hardware_Server: Bare Metal Servers
//	  credit: Service Credits
type categoryFile struct {
	Categories   map[string]*string `yaml:"categories"`
	ServiceNames map[string]string  `yaml:"service_names"`
}

// maxServiceNameBytes bounds a readable name (it is a code column's value
// in the lake, whose limit is 256 bytes).
const maxServiceNameBytes = 128

// ParseCategoryMap parses a category map file (configs/categories.yaml's
// format). Decoding is strict: unknown keys, duplicate codes, empty codes or
// services (null is "no service", "" is an error), and codes or services
// with spaces are errors.
func ParseCategoryMap(data []byte) (*CategoryMap, error) {
	var f categoryFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("transform: parse category map: empty document")
		}
		return nil, fmt.Errorf("transform: parse category map: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("transform: parse category map: want a single YAML document")
	}
	m := &CategoryMap{services: make(map[string]*string, len(f.Categories))}
	interned := make(map[string]*string)
	for code, sp := range f.Categories {
		if code == "" || strings.ContainsAny(code, " \t\r\n") {
			return nil, fmt.Errorf("transform: parse category map: code %q: want a non-empty code without spaces", code)
		}
		if sp == nil {
			m.services[code] = nil
			continue
		}
		svc := *sp
		if svc == "" || strings.ContainsAny(svc, " \t\r\n") {
			return nil, fmt.Errorf("transform: parse category map: code %q: service %q: want a non-empty service name without spaces", code, svc)
		}
		p, ok := interned[svc]
		if !ok {
			p = &svc
			interned[svc] = p
		}
		m.services[code] = p
	}
	if len(f.ServiceNames) > 0 {
		m.names = make(map[string]*string, len(f.ServiceNames))
	}
	for key, name := range f.ServiceNames {
		if key == "" || strings.ContainsAny(key, " \t\r\n") {
			return nil, fmt.Errorf("transform: parse category map: service_names: %q: want a service or code without spaces", key)
		}
		if strings.TrimSpace(name) == "" || len(name) > maxServiceNameBytes || strings.ContainsAny(name, "\t\r\n") || !utf8.ValidString(name) {
			return nil, fmt.Errorf("transform: parse category map: service_names: %s: name %q: want 1 to %d bytes of UTF-8 on one line",
				key, name, maxServiceNameBytes)
		}
		p, ok := interned[name]
		if !ok {
			p = &name
			interned[name] = p
		}
		m.names[key] = p
	}
	return m, nil
}

// Merge adds override's codes to m, replacing the service of a code both
// maps hold. It is how a user file overrides and extends the default map.
func (m *CategoryMap) Merge(override *CategoryMap) {
	if override == nil || len(override.services) == 0 {
		return
	}
	if m.services == nil {
		m.services = make(map[string]*string, len(override.services))
	}
	for code, p := range override.services {
		m.services[code] = p
	}
	if len(override.names) > 0 && m.names == nil {
		m.names = make(map[string]*string, len(override.names))
	}
	for key, p := range override.names {
		m.names[key] = p
	}
}

// Name returns the readable name of a top-level code's service: the
// service's name from service_names, or the service itself when it has
// none; for a code known to have no service, the code's name from
// service_names, or the code itself. ok is false for an unknown code.
func (m *CategoryMap) Name(code string) (string, bool) {
	p, ok := m.name(code)
	if !ok {
		return "", false
	}
	return *p, true
}

// name is Name as a shared pointer (nil, false for an unknown code).
func (m *CategoryMap) name(code string) (*string, bool) {
	svc, ok := m.lookup(code)
	if !ok {
		return nil, false
	}
	key := code
	if svc != nil {
		key = *svc
	}
	if p, ok := m.names[key]; ok {
		return p, true
	}
	if svc != nil {
		return svc, true
	}
	// A code without a service and without a name is its own name.
	return &code, true
}

// Service returns the service of code and whether the map knows the code;
// a code known to have no service gives "", true.
func (m *CategoryMap) Service(code string) (string, bool) {
	p, ok := m.lookup(code)
	if p == nil {
		return "", ok
	}
	return *p, true
}

// Len returns the number of codes in m.
func (m *CategoryMap) Len() int {
	if m == nil {
		return 0
	}
	return len(m.services)
}

// Codes returns m's codes, sorted.
func (m *CategoryMap) Codes() []string {
	if m == nil {
		return nil
	}
	out := make([]string, 0, len(m.services))
	for c := range m.services {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

func (m *CategoryMap) lookup(code string) (*string, bool) {
	if m == nil {
		return nil, false
	}
	p, ok := m.services[code]
	return p, ok
}
