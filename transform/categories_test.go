package transform_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/configs"
	"github.com/invoicelake/invoicelake/transform"
)

func TestDefaultCategories(t *testing.T) {
	m, err := transform.ParseCategoryMap(configs.DefaultCategories)
	if err != nil {
		t.Fatalf("the embedded default does not parse: %v", err)
	}
	want := map[string]string{
		// The six codes of the seed article.
		"guest_core":                 "SoftLayer_Virtual_Guest",
		"load_balancer_as_a_service": "SoftLayer_Network_LBaaS_LoadBalancer",
		"network_vlan":               "SoftLayer_Network_Vlan",
		"server":                     "SoftLayer_Hardware_Server",
		"vlan_firewall":              "SoftLayer_Network_Vlan_Firewall",
		"storage_as_a_service":       "SoftLayer_Network_Storage",
		// A sample of the reference's further mappings.
		"sov_sec_ip_addresses_priv":  "SoftLayer_Network_Subnet",
		"global_ipv6":                "SoftLayer_Network_Subnet",
		"firewall":                   "SoftLayer_Network_Component_Firewall",
		"storage_service_enterprise": "SoftLayer_Network_Storage",
		"performance_storage_nfs":    "SoftLayer_Network_Storage",
		"dedicated_virtual_hosts":    "SoftLayer_Virtual_DedicatedHost",
		"reserved_capacity":          "SoftLayer_Virtual_ReservedCapacityGroup",
		"network_tunnel":             "SoftLayer_Network_Tunnel_Module_Context",
		"hub":                        "SoftLayer_Network_Storage_Hub",
	}
	for code, svc := range want {
		if got, ok := m.Service(code); !ok || got != svc {
			t.Errorf("code %s: got %q (%t), want %q", code, got, ok, svc)
		}
	}
	// The everyday codes every account has are known, with no resource
	// service and a readable name of their own (no warning on a normal
	// account).
	noResource := map[string]string{"credit": "Service Credits", "bandwidth": "Bandwidth",
		"software_license": "Software Licenses", "one_time_charge": "One-Time Charges", "labor_fee": "Labor"}
	for code, name := range noResource {
		if svc, known := m.Service(code); !known || svc != "" {
			t.Errorf("code %s: got service %q (known %t), want known with no service", code, svc, known)
		}
		if got, ok := m.Name(code); !ok || got != name {
			t.Errorf("code %s: got name %q (%t), want %q", code, got, ok, name)
		}
	}
	for _, code := range m.Codes() {
		svc, _ := m.Service(code)
		if _, none := noResource[code]; none {
			continue
		}
		if !strings.HasPrefix(svc, "SoftLayer_") {
			t.Errorf("code %s: got service %q, want a SoftLayer_ service name", code, svc)
		}
		// Every service of the default map has a readable name.
		if name, _ := m.Name(code); name == svc || name == "" {
			t.Errorf("code %s: service %s has no readable name (got %q)", code, svc, name)
		}
	}
	if got, ok := m.Name("guest_core"); got != "Virtual Servers" || !ok {
		t.Errorf("guest_core: got name %q (%t), want Virtual Servers", got, ok)
	}
	if _, ok := m.Name("quantum_widget"); ok {
		t.Errorf("an unknown code has a name")
	}
}

func TestServiceNames(t *testing.T) {
	m, err := transform.ParseCategoryMap([]byte("categories:\n  a: Svc_A\n  b: Svc_B\n  c: ~\n  d: ~\nservice_names:\n  Svc_A: Service A\n  c: Charge C\n"))
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]string{"a": "Service A", "b": "Svc_B", "c": "Charge C", "d": "d"} {
		if got, ok := m.Name(code); !ok || got != want {
			t.Errorf("code %s: got %q (%t), want %q", code, got, ok, want)
		}
	}
	user, err := transform.ParseCategoryMap([]byte("categories:\n  e: Svc_A\nservice_names:\n  Svc_A: Renamed A\n"))
	if err != nil {
		t.Fatal(err)
	}
	m.Merge(user)
	for code, want := range map[string]string{"a": "Renamed A", "e": "Renamed A", "c": "Charge C"} {
		if got, _ := m.Name(code); got != want {
			t.Errorf("after merge, code %s: got %q, want %q", code, got, want)
		}
	}
}

func TestCategoryMapMerge(t *testing.T) {
	m, err := transform.ParseCategoryMap(configs.DefaultCategories)
	if err != nil {
		t.Fatal(err)
	}
	n := m.Len()
	user, err := transform.ParseCategoryMap([]byte("categories:\n  vlan_firewall: SoftLayer_Network_Firewall\n  workspace: SoftLayer_Workspace\n"))
	if err != nil {
		t.Fatal(err)
	}
	m.Merge(user)
	for code, want := range map[string]string{
		"vlan_firewall": "SoftLayer_Network_Firewall", // overridden
		"workspace":     "SoftLayer_Workspace",        // added
		"server":        "SoftLayer_Hardware_Server",  // kept
	} {
		if got, _ := m.Service(code); got != want {
			t.Errorf("after merge, code %s: got %q, want %q", code, got, want)
		}
	}
	if got := m.Len(); got != n+1 {
		t.Errorf("got %d codes after merge, want %d", got, n+1)
	}
	none, err := transform.ParseCategoryMap([]byte("categories:\n  server: ~\n"))
	if err != nil {
		t.Fatal(err)
	}
	m.Merge(none)
	if got, known := m.Service("server"); got != "" || !known {
		t.Errorf("after merging server: ~, got %q, %t; want no service, known", got, known)
	}
	if _, known := m.Service("nope"); known {
		t.Errorf("got code nope known, want unknown")
	}
	var empty transform.CategoryMap
	empty.Merge(user)
	if diff := cmp.Diff([]string{"vlan_firewall", "workspace"}, empty.Codes()); diff != "" {
		t.Errorf("merge into the zero map (-want +got):\n%s", diff)
	}
}

func TestParseCategoryMapErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "empty document"},
		{"unknown key", "categories: {server: X}\nservices: {}\n", "field services not found"},
		{"duplicate code", "categories:\n  server: A\n  server: B\n", "already defined"},
		{"empty service", "categories:\n  server: \"\"\n", `code "server": service ""`},
		{"empty code", "categories:\n  \"\": X\n", `code ""`},
		{"space in service", "categories:\n  server: Soft Layer\n", `service "Soft Layer"`},
		{"not a map", "categories: [server]\n", "cannot unmarshal"},
		{"two documents", "categories: {a: B}\n---\ncategories: {c: D}\n", "single YAML document"},
		{"empty name", "categories: {a: B}\nservice_names: {B: \" \"}\n", `name " "`},
		{"name on two lines", "categories: {a: B}\nservice_names: {B: \"x\\ny\"}\n", "on one line"},
		{"name key with a space", "categories: {a: B}\nservice_names: {\"B C\": x}\n", `"B C"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := transform.ParseCategoryMap([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func FuzzParseCategoryMap(f *testing.F) {
	f.Add(string(configs.DefaultCategories))
	f.Add("categories: {a: B}")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := transform.ParseCategoryMap([]byte(s))
		if err != nil {
			return
		}
		for _, c := range m.Codes() {
			if svc, ok := m.Service(c); !ok || strings.ContainsAny(svc, " \t\r\n") {
				t.Fatalf("code %q: got service %q, %t; want a known code and a service without spaces", c, svc, ok)
			}
		}
	})
}
