package slsim

import "strconv"

// The simulator's product catalog: categories, datacenters and the shapes
// of the resources an account orders. Names follow the real API where the
// reference shows them (including empty category names).

type category struct {
	id   int64
	code string
	name string
}

var categories = []category{
	{1, "server", "Server"},
	{2, "ram", "RAM"},
	{3, "os", "Operating System"},
	{4, "disk0", "First Hard Drive"},
	{5, "disk1", "Second Hard Drive"},
	{6, "disk2", "Third Hard Drive"},
	{7, "disk3", "Fourth Hard Drive"},
	{8, "disk_controller", "Disk Controller"},
	{9, "port_speed", "Uplink Port Speeds"},
	{10, "bandwidth", "Public Bandwidth"},
	{11, "pri_ip_addresses", "Primary IP Addresses"},
	{12, "remote_management", "Remote Management"},
	{13, "power_supply", "Power Supply"},
	{14, "second_processor", "Second Processor"},
	{80, "guest_core", "Computing Instance"},
	{81, "guest_disk0", "First Disk"},
	{82, "guest_disk1", "Second Disk"},
	{83, "guest_disk2", "Third Disk"},
	{100, "network_vlan", "Network Vlan"},
	{101, "vlan_firewall", "Hardware Firewall (Dedicated)"},
	{102, "firewall", "Hardware Firewall"},
	{120, "storage_as_a_service", "Storage As A Service"},
	{121, "storage_service_enterprise", "Endurance"},
	{122, "storage_block", "Block Storage"},
	{123, "storage_tier_level", "Storage Tier Level"},
	{124, "performance_storage_space", "Storage Space"},
	{125, "storage_snapshot_space", "Storage Snapshot Space"},
	{126, "performance_storage_iops", "Provisioned IOPS"},
	{140, "load_balancer_as_a_service", "Load Balancer As A Service"},
	{141, "load_balancer_uptime", "Load Balancer Uptime"},
	{142, "load_balancer_bandwidth", "Load Balancer Bandwidth"},
	{143, "load_balancer_data_processed", "Load Balancer Data Processed"},
	{160, "sov_sec_ip_addresses_priv", "Private (only) Secondary VLAN IP Addresses"},
	{161, "pri_ip_address", "Primary IP Address"},
	{162, "global_ipv4", "Global IPv4"},
	{180, "dedicated_virtual_hosts", "Dedicated Virtual Host"},
	{181, "dedicated_host_ram", "Dedicated Host RAM"},
	{182, "dedicated_host_disk", "Dedicated Host Disk"},
	{200, "hub", "Object Storage"},
	{220, "one_time_charge", "One-Time Charge"},
	{221, "software_license", "Software License"},
	{222, "ram_usage", ""}, // category without a name, as in the real API
	{240, "quantum_widget", ""},
	{241, "paas_something", "PaaS Something"},
	{260, "credit", "Service Credit"},
	{261, "labor_fee", "Labor"},
}

var categoryByCode = func() map[string]*category {
	m := make(map[string]*category, len(categories))
	for i := range categories {
		m[categories[i].code] = &categories[i]
	}
	return m
}()

type location struct {
	id       int64
	name     string
	longName string
	taxed    bool // US datacenters carry 8.25% sales tax in this model
}

var locations = []location{
	{1441195, "dal10", "Dallas 10", true},
	{1854895, "dal13", "Dallas 13", true},
	{2017603, "wdc07", "Washington 7", true},
	{449506, "fra02", "Frankfurt 2", false},
	{358694, "ams01", "Amsterdam 1", false},
	{449612, "tok02", "Tokyo 2", false},
	{592494, "par01", "Paris 1", false},
	{1004997, "lon06", "London 6", false},
	{2063893, "syd04", "Sydney 4", false},
	{449494, "mex01", "Mexico 1", false},
}

// taxRate is the sales tax on items billed in taxed locations.
var taxRate = parseMoney(".0825")

// part is one line of a resource: the top-level item (first) or a child.
type part struct {
	code        string
	description string
	monthly     money // monthly recurring fee (monthly resources)
	hourly      money // hourly rate (hourly resources)
}

type kindShape struct {
	code     string
	weight   int  // relative frequency of orders
	hourlyOK bool // may be ordered hourly
	named    bool // carries hostName/domainName
	located  int  // percent of resources with a location
	parts    func(r *rng) []part
}

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

var kinds = []kindShape{
	{code: "server", weight: 6, named: true, located: 100, parts: func(r *rng) []part {
		cpu := pick(r, []string{"Single Intel Xeon E3-1270 v3 (4 Cores, 3.50 GHz)", "Dual Intel Xeon Silver 4210 (20 Cores, 2.20 GHz)", "Dual Intel Xeon Gold 5218 (32 Cores, 2.30 GHz)"})
		ps := []part{
			{"server", cpu, pick(r, []money{0, 0, dollars(199, 0), dollars(349, 50)}), 0},
			{"ram", pick(r, []string{"32 GB RAM", "64 GB RAM", "128 GB RAM"}), dollars(int64(40+r.intn(200)), int64(r.intn(100))), 0},
			{"os", pick(r, []string{"Ubuntu Linux 22.04 LTS Jammy Jellyfish (64 bit)", "Red Hat Enterprise Linux 8.x (64 bit) (per-processor licensing)", "Debian GNU/Linux 12.x Bookworm/Stable - Minimal Install (64 bit)", "Windows Server 2022 Standard Edition (64 bit)"}), dollars(int64(r.intn(120)), 0), 0},
			{"disk0", "960 GB SSD (3 DWPD)", dollars(int64(30+r.intn(60)), 0), 0},
			{"disk_controller", pick(r, []string{"Non-RAID", "RAID 1"}), pick(r, []money{0, dollars(60, 57)}), 0},
			{"port_speed", "10 Gbps Dual Public & Private Network Uplinks (Unbonded)", dollars(int64(r.intn(150)), 0), 0},
			{"bandwidth", "20000 GB Bandwidth Allotment", 0, 0},
			{"pri_ip_addresses", "1 IP Address", 0, 0},
			{"remote_management", "Reboot / KVM over IP", 0, 0},
			{"power_supply", "Redundant Power Supply", dollars(int64(r.intn(30)), 0), 0},
		}
		if r.intn(2) == 0 {
			ps = append(ps, part{"disk1", "960 GB SSD (3 DWPD)", dollars(int64(30+r.intn(60)), 0), 0})
		}
		if r.intn(4) == 0 {
			ps = append(ps, part{"disk2", "4.00 TB SATA", dollars(45, 0), 0}, part{"disk3", "4.00 TB SATA", dollars(45, 0), 0})
		}
		if r.intn(3) == 0 {
			ps = append(ps, part{"second_processor", "Intel Xeon (12 Cores, 2.40 GHz)", dollars(int64(100+r.intn(200)), 0), 0})
		}
		return ps
	}},
	{code: "guest_core", weight: 30, hourlyOK: true, named: true, located: 100, parts: guestParts},
	{code: "network_vlan", weight: 4, located: 60, parts: func(r *rng) []part {
		return []part{{"network_vlan", pick(r, []string{"Private Network Vlan", "Public Network Vlan"}), pick(r, []money{0, dollars(25, 0)}), 0}}
	}},
	{code: "vlan_firewall", weight: 1, located: 100, parts: func(r *rng) []part {
		return []part{{"vlan_firewall", "Hardware Firewall (Dedicated)", dollars(299, 0), 0}}
	}},
	{code: "firewall", weight: 1, located: 100, parts: func(r *rng) []part {
		return []part{{"firewall", "100Mbps Hardware Firewall", dollars(49, 0), 0}}
	}},
	{code: "storage_as_a_service", weight: 2, located: 100, parts: func(r *rng) []part {
		gb := 100 * (1 + r.intn(20))
		return []part{
			{"storage_as_a_service", "Storage as a Service", 0, 0},
			{"performance_storage_space", itoa(gb) + " GB Storage Space", money(gb) * parseMoney(".10"), 0},
			{"performance_storage_iops", "1000 IOPS", dollars(60, 0), 0},
		}
	}},
	{code: "storage_service_enterprise", weight: 2, located: 100, parts: func(r *rng) []part {
		gb := 20 * (1 + r.intn(50))
		return []part{
			{"storage_service_enterprise", "Endurance Storage", 0, 0},
			{"storage_block", "Block Storage", 0, 0},
			{"storage_tier_level", "0.25 IOPS per GB", 0, 0},
			{"performance_storage_space", itoa(gb) + " GB Storage Space", money(gb) * parseMoney(".058"), 0},
			{"storage_snapshot_space", "10 GB Storage Space (Snapshot Space)", dollars(5, 0), 0},
		}
	}},
	{code: "load_balancer_as_a_service", weight: 1, located: 100, parts: func(r *rng) []part {
		gb := int64(r.intn(5000))
		return []part{
			{"load_balancer_as_a_service", "lb-" + itoa(1000+r.intn(9000)) + ".lb.appdomain.cloud", 0, 0},
			{"load_balancer_uptime", "Load Balancer Uptime", parseMoney("21.6"), 0},
			{"load_balancer_bandwidth", "Load Balancer Bandwidth", 0, 0},
			{"load_balancer_data_processed", " ($0.008/ GIGABYTE ) - Total " + itoa(int(gb)) + ".00000 GIGABYTE used", money(gb) * parseMoney(".008"), 0},
		}
	}},
	{code: "sov_sec_ip_addresses_priv", weight: 2, located: 80, parts: func(r *rng) []part {
		n := pick(r, []int{8, 16, 64})
		return []part{{"sov_sec_ip_addresses_priv", itoa(n) + " Portable Private IP Addresses", 0, 0}}
	}},
	{code: "pri_ip_address", weight: 1, located: 100, parts: func(r *rng) []part {
		return []part{{"pri_ip_address", "1 IP Address", dollars(2, 0), 0}}
	}},
	{code: "global_ipv4", weight: 1, located: 0, parts: func(r *rng) []part {
		return []part{{"global_ipv4", "Global IPv4", dollars(10, 0), 0}}
	}},
	{code: "dedicated_virtual_hosts", weight: 1, named: true, located: 100, parts: func(r *rng) []part {
		return []part{
			{"dedicated_virtual_hosts", "56 Cores X 242 RAM X 1.2 TB", dollars(1439, 0), 0},
			{"dedicated_host_ram", "242 GB", 0, 0},
			{"dedicated_host_disk", "1.2 TB Local Storage", 0, 0},
		}
	}},
	{code: "hub", weight: 1, located: 0, parts: func(r *rng) []part {
		return []part{{"hub", "Object Storage - Pay as you go", money(r.intn(40000)) * parseMoney(".0023"), 0}}
	}},
	{code: "quantum_widget", weight: 1, located: 50, parts: func(r *rng) []part {
		return []part{{"quantum_widget", "Quantum Widget (experimental)", dollars(int64(1+r.intn(50)), int64(r.intn(100))), 0}}
	}},
	{code: "paas_something", weight: 1, located: 0, parts: func(r *rng) []part {
		return []part{{"paas_something", "Cloud Foundry runtime usage", parseMoney("3.3333"), 0}}
	}},
}

func guestParts(r *rng) []part {
	cores := pick(r, []int{1, 2, 4, 8, 16})
	ram := cores * pick(r, []int{2, 4, 8})
	ps := []part{
		{"guest_core", itoa(cores) + " x 2.0 GHz or higher Cores", dollars(int64(cores*20), 0), parseMoney(".025") * money(cores)},
		{"ram", itoa(ram) + " GB", dollars(int64(ram*5), 0), parseMoney(".007") * money(ram)},
		{"guest_disk0", "25 GB (SAN)", 0, 0},
		{"os", pick(r, []string{"Ubuntu Linux 22.04 LTS Jammy Jellyfish - Minimal Install (64 bit)", "CentOS Stream 9 - Minimal Install (64 bit)", "Debian GNU/Linux 12.x Bookworm/Stable - Minimal Install (64 bit)"}), 0, 0},
		{"port_speed", "1 Gbps Public & Private Network Uplinks", dollars(int64(r.intn(2)*20), 0), parseMoney(".03") * money(r.intn(2))},
		{"bandwidth", "250 GB Bandwidth Allotment", 0, 0},
		{"pri_ip_addresses", "1 IP Address", 0, 0},
	}
	if r.intn(3) == 0 {
		ps = append(ps, part{"guest_disk1", "100 GB (SAN)", dollars(10, 0), parseMoney(".014")})
	}
	return ps
}

var kindWeightSum = func() int {
	s := 0
	for _, k := range kinds {
		s += k.weight
	}
	return s
}()

func pickKind(r *rng) int {
	n := r.intn(kindWeightSum)
	for i, k := range kinds {
		if n < k.weight {
			return i
		}
		n -= k.weight
	}
	return 0
}

var hostWords = []string{"web", "db", "cache", "api", "batch", "ceph", "gw", "worker", "etl", "search"}
var domains = []string{"example.com", "prod.example.net", "internal.example.org", "m\u00fcller-gmbh.de"}

func itoa(n int) string { return strconv.Itoa(n) }
