//go:build cgo

// The HTML report in a real browser: a lake exported from the simulator,
// `invoicelake report --html`, then headless Chromium (Debian's chromium)
// dumps the page's DOM and takes a screenshot, and both are checked against
// sums computed here from the lake's rows and the simulator's truth.
package main

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/png"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
)

// lakeSums is what the test computes from the lake's rows itself.
type lakeSums struct {
	periods  []string
	items    map[string]*schemas.Sum            // period -> Σ total_amount
	invoiced map[string]*schemas.Sum            // period -> Σ invoice_total_amount
	service  map[string]map[string]*schemas.Sum // period -> service (noService for NULL) -> Σ total_amount
	total    schemas.Sum
}

func sumLake(t *testing.T, dir string) lakeSums {
	t.Helper()
	b, err := load.NewFileBucket(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := onlyAccount(t, b)
	ps, err := l.Periods(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s := lakeSums{items: map[string]*schemas.Sum{}, invoiced: map[string]*schemas.Sum{}, service: map[string]map[string]*schemas.Sum{}}
	for _, p := range ps {
		k := p.String()
		s.periods = append(s.periods, k)
		s.items[k], s.invoiced[k], s.service[k] = new(schemas.Sum), new(schemas.Sum), map[string]*schemas.Sum{}
		for r, err := range l.InvoiceRows(t.Context(), p) {
			if err != nil {
				t.Fatal(err)
			}
			if r.InvoiceTotalAmount != nil {
				s.invoiced[k].Add(*r.InvoiceTotalAmount)
			}
		}
		for r, err := range l.ItemRows(t.Context(), p) {
			if err != nil {
				t.Fatal(err)
			}
			svc := noService
			if r.ResourceService != nil {
				svc = *r.ResourceService
			}
			if s.service[k][svc] == nil {
				s.service[k][svc] = new(schemas.Sum)
			}
			s.service[k][svc].Add(r.TotalAmount)
			s.items[k].Add(r.TotalAmount)
			s.total.Add(r.TotalAmount)
		}
	}
	return s
}

func sumEqual(t *testing.T, s *schemas.Sum, shown string) bool {
	t.Helper()
	want, ok := new(big.Rat).SetString(s.String())
	if !ok {
		t.Fatalf("bad sum %s", s)
	}
	return ratOf(t, shown).Cmp(want) == 0
}

var attrRE = regexp.MustCompile(`([a-zA-Z][\w-]*)="([^"]*)"`)

// elements returns the attributes of every start tag of the page that
// begins with open (e.g. `<rect class="bar"`).
func elements(page, open string) []map[string]string {
	var out []map[string]string
	for _, m := range regexp.MustCompile(regexp.QuoteMeta(open)+`[^>]*>`).FindAllString(page, -1) {
		a := map[string]string{}
		for _, kv := range attrRE.FindAllStringSubmatch(m, -1) {
			a[kv[1]] = html.UnescapeString(kv[2])
		}
		out = append(out, a)
	}
	return out
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not an integer: %q", s)
	}
	return n
}

// chromium runs headless Chromium on page with extra flags and returns
// its stdout. It loads nothing but the file: no network features.
func chromium(t *testing.T, bin, page string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1280,2000"}
	args = append(append(args, extra...), "file://"+page)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return stdout.Bytes()
}

func TestReportHTMLInChromium(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 11, Months: 6})
	e := simEnv(srv)
	truth := srv.Sim().Truth()
	from, to := truth.Periods[0].Period, truth.Periods[len(truth.Periods)-1].Period
	dir := t.TempDir()
	if code, out, stderr := e.run(t, t.Context(), nil, "export", "--from", from, "--to", to, "--out", dir); code != 0 {
		t.Fatalf("export exit %d\n%s\n%s", code, out, stderr)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	// No SL_* variable: the report reads the lake only.
	code, text, stderr := runReport(t, "--out", dir, "--html", page)
	if code != 0 {
		t.Fatalf("report exit %d\n%s\n%s", code, text, stderr)
	}
	sums := sumLake(t, dir)
	if len(sums.periods) != len(truth.Periods) {
		t.Fatalf("the lake has %d periods, the truth %d", len(sums.periods), len(truth.Periods))
	}

	// The text report's monthly costs are the lake's, and the truth's.
	for _, pt := range truth.Periods {
		row := textRow(t, text, "Cost per month", pt.Period)
		if !sumEqual(t, sums.items[pt.Period], row[4]) || ratOf(t, row[4]).Cmp(rat(t, pt.ItemsAmount)) != 0 {
			t.Errorf("text: %s cost %s, lake %s, truth %s", pt.Period, row[4], sums.items[pt.Period], pt.ItemsAmount)
		}
	}
	if row := textRow(t, text, "Cost per month", "total"); !sumEqual(t, &sums.total, row[4]) {
		t.Errorf("text: total cost %s, lake %s", row[4], sums.total.String())
	}

	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium): the page was checked as text only")
	}
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	assertSelfContained(t, string(src))

	// The DOM as Chromium parsed it.
	dom := string(chromium(t, bin, page, "--dump-dom"))
	if !strings.Contains(dom, `data-check="chart"`) {
		t.Fatalf("the dumped DOM has no chart:\n%.2000s", dom)
	}
	if got := domValue(t, dom, `data-check="total"`); !sumEqual(t, &sums.total, got) {
		t.Errorf("DOM: total %s, lake %s", got, sums.total.String())
	}
	if got := domValue(t, dom, `data-check="window-total"`); !sumEqual(t, &sums.total, got) {
		t.Errorf("DOM: window total %s, lake %s", got, sums.total.String())
	}
	for _, pt := range truth.Periods {
		p := pt.Period
		if got := domValue(t, dom, `data-check="period-total" data-period="`+p+`"`); !sumEqual(t, sums.items[p], got) || ratOf(t, got).Cmp(rat(t, pt.ItemsAmount)) != 0 {
			t.Errorf("DOM: %s cost %s, lake %s, truth %s", p, got, sums.items[p], pt.ItemsAmount)
		}
		if got := domValue(t, dom, `data-check="period-invoiced" data-period="`+p+`"`); !sumEqual(t, sums.invoiced[p], got) || ratOf(t, got).Cmp(rat(t, pt.InvoiceTotalAmount)) != 0 {
			t.Errorf("DOM: %s invoiced %s, lake %s, truth %s", p, got, sums.invoiced[p], pt.InvoiceTotalAmount)
		}
	}

	// The legend: one distinct color per series; the series are the lake's
	// services (all of them, or the largest and "other services").
	legend := elements(dom, `<li data-service=`)
	if len(legend) < 2 {
		t.Fatalf("the legend has %d entries", len(legend))
	}
	colorOf, named := map[string]string{}, map[string]bool{}
	seen := map[string]string{}
	for _, l := range legend {
		svc, c := l["data-service"], l["data-color"]
		if other, dup := seen[c]; dup {
			t.Errorf("legend: %s and %s share the color %s", other, svc, c)
		}
		seen[c], colorOf[svc], named[svc] = svc, c, true
	}
	// Each series' cell per month equals the lake's sum of its services.
	for _, p := range sums.periods {
		for _, l := range legend {
			svc := l["data-service"]
			var want schemas.Sum
			for s, v := range sums.service[p] {
				if s == svc || (svc == otherServices && !named[s]) {
					want.AddSum(v)
				}
			}
			got := domValue(t, dom, `data-check="service" data-period="`+p+`" data-service="`+html.EscapeString(svc)+`"`)
			if !sumEqual(t, &want, got) {
				t.Errorf("DOM: %s %s = %s, lake %s", p, svc, got, want.String())
			}
		}
	}

	// The bars: each one's amount is its series' sum in its month, and its
	// height is that amount at one common scale (±1 px of rounding).
	bars := elements(dom, `<rect class="bar"`)
	if len(bars) < len(sums.periods) {
		t.Fatalf("the chart has %d bars for %d periods", len(bars), len(sums.periods))
	}
	var scale, largest float64 // px per USD, from the largest bar
	for _, b := range bars {
		if a := math.Abs(mustFloat(t, b["data-amount"])); a > largest {
			largest, scale = a, float64(atoi(t, b["height"]))/a
		}
	}
	for _, b := range bars {
		amount := mustFloat(t, b["data-amount"])
		if h := float64(atoi(t, b["height"])); math.Abs(h-math.Abs(amount)*scale) > 1.5 {
			t.Errorf("bar %s %s: height %g px for %g USD, want %.1f", b["data-period"], b["data-service"], h, amount, math.Abs(amount)*scale)
		}
		if b["fill"] != colorOf[b["data-service"]] {
			t.Errorf("bar %s %s: fill %s, legend says %s", b["data-period"], b["data-service"], b["fill"], colorOf[b["data-service"]])
		}
	}

	// The screenshot: find the chart's zero line (the one dark line of
	// exactly the plot's width), map each bar into the image and check
	// that it is drawn in its legend color.
	shot := filepath.Join(t.TempDir(), "report.png")
	chromium(t, bin, page, "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("INVOICELAKE_KEEP_SCREENSHOT"); keep != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(keep, data, 0o644)
	}
	svg := elements(dom, `<svg class="chart"`)[0]
	axis := elements(dom, `<line x1="`+strconv.Itoa(chartLeft)+`" x2="`+strconv.Itoa(chartW)+`" y1=`)
	zeroY := atoi(t, axis[len(axis)-1]["y1"]) // the zero line is drawn last
	ox, oy, ok := findLine(img, rgb("#1f2933"), chartW-chartLeft)
	if !ok {
		t.Fatalf("no zero line of %d px in the screenshot (svg %sx%s)", chartW-chartLeft, svg["width"], svg["height"])
	}
	ox, oy = ox-chartLeft, oy-zeroY
	drawn := map[string]int{}
	checked := 0
	for _, b := range bars {
		x, y, w, h := atoi(t, b["x"])+ox, atoi(t, b["y"])+oy, atoi(t, b["width"]), atoi(t, b["height"])
		if w < 3 || h < 3 {
			continue
		}
		want := rgb(b["fill"])
		n := 0
		for yy := y + 1; yy < y+h-1; yy++ {
			for xx := x + 1; xx < x+w-1; xx++ {
				if near(img.At(xx, yy), want) {
					n++
				}
			}
		}
		inner := (w - 2) * (h - 2)
		if yy := y + h/2; yy >= img.Bounds().Max.Y {
			t.Fatalf("bar %s %s at y=%d is below the %d px screenshot", b["data-period"], b["data-service"], yy, img.Bounds().Max.Y)
		}
		if n < inner*95/100 {
			t.Errorf("bar %s %s: %d of its %d inner pixels have its color %s", b["data-period"], b["data-service"], n, inner, b["fill"])
		}
		drawn[b["data-service"]] += n
		checked++
	}
	if checked < len(sums.periods) {
		t.Errorf("only %d bars were large enough to check", checked)
	}
	// The checked bars span several series, each drawn in its own color.
	if len(drawn) < 3 {
		t.Errorf("bars of %d series were checked in the screenshot, want at least 3", len(drawn))
	}
	// The page is drawn on its white background.
	if c := img.At(5, 5); !near(c, rgb("#ffffff")) {
		t.Errorf("the page background at (5,5) is %v, want white", c)
	}
	t.Logf("screenshot %s: %d bars checked, %d series, chart at (%d,%d)", shot, checked, len(legend), ox, oy)
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return f
}

type rgbColor struct{ r, g, b uint8 }

func rgb(hex string) rgbColor {
	var c rgbColor
	fmt.Sscanf(hex, "#%02x%02x%02x", &c.r, &c.g, &c.b)
	return c
}

// near reports whether c is want within 3 levels per channel (color
// management may move a level or two).
func near(c interface{ RGBA() (r, g, b, a uint32) }, want rgbColor) bool {
	r, g, b, _ := c.RGBA()
	d := func(x uint32, y uint8) bool { return math.Abs(float64(x>>8)-float64(y)) <= 3 }
	return d(r, want.r) && d(g, want.g) && d(b, want.b)
}

// findLine returns the start of the topmost horizontal run of exactly n
// (±2) pixels of color c.
func findLine(img image.Image, c rgbColor, n int) (int, int, bool) {
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		run, start := 0, 0
		for x := bd.Min.X; x <= bd.Max.X; x++ {
			if x < bd.Max.X && near(img.At(x, y), c) {
				if run == 0 {
					start = x
				}
				run++
				continue
			}
			if run >= n-2 && run <= n+2 {
				return start, y, true
			}
			run = 0
		}
	}
	return 0, 0, false
}
