package main

import (
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/invoicelake/invoicelake/schemas"
)

// The HTML report: one self-contained page, inline CSS and SVG only. It
// loads nothing (no script, font, image or stylesheet from anywhere), so it
// can be mailed, archived or opened offline, and needs no JavaScript.

// palette is the chart's colors (Tableau 10, readable by most color-blind
// readers); the last one is kept for "other services".
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

const otherServices = "other services"

// Chart geometry, in CSS pixels.
const (
	chartW      = 1120
	chartH      = 380
	chartLeft   = 96 // room for the axis labels
	chartRight  = 16
	chartTop    = 16
	chartBottom = 36
	maxBarW     = 56
)

// htmlPage is what the template renders.
type htmlPage struct {
	R         *report
	Version   string
	Window    string
	Accounts  string
	Missing   string
	Cards     []htmlCard
	Groups    []htmlGroup // the chart's series, in stacking order
	Others    string      // services folded into "other services", if any
	Chart     htmlChart
	Months    []htmlMonth
	Total     htmlMonth
	Top       []htmlResource
	TopRest   []htmlResource // the other resources, no resource, total
	Credits   []htmlCredit
	CredTot   string
	Recon     string
	ReconOK   bool
	Unrec     []htmlUnrec
	UnrecMore int64
	Forecast  *htmlForecast
}

type htmlCard struct{ Label, Value, Note, Check string }

type htmlGroup struct {
	Name, Title, Color string
	Parts              []string // Name split at "_", where a header may wrap
	members            map[string]bool
	Total              schemas.Sum
}

type htmlChart struct {
	W, H, PlotX, PlotW, ZeroY int
	Ticks                     []htmlTick
	Bars                      []htmlBar
	Labels                    []htmlTick
}

type htmlTick struct {
	X, Y  int
	Label string
}

type htmlBar struct {
	Period, Service, Color, Amount, Title string
	X, Y, W, H                            int
}

type htmlMonth struct {
	Period, Invoices, Open, Items, Cost, Change, Invoiced, Credits, Unreconciled string
	ChangeSign                                                                   int
	Cells                                                                        []htmlCell // per chart group
}

type htmlCell struct{ Service, Amount string }

type htmlResource struct {
	Rank, Service, ID, Label, Category, Location, Periods, Own, Children, Total, Share string
	BarW                                                                               int
	Check                                                                              string
}

type htmlCredit struct {
	Period, Kind, Count, Amount string
	First                       bool
}

type htmlUnrec struct {
	Period, InvoiceID, Type, Status, Invoiced, ItemsTotal, Issues string
}

type htmlForecast struct {
	Period, Amount, LastMonth, LastTotal, Change string
	Balance, Taken                               string // "" when no balance
}

// writeHTML writes r as one self-contained HTML page.
func writeHTML(w io.Writer, r *report) error {
	return reportTemplate.Execute(w, newHTMLPage(r))
}

func newHTMLPage(r *report) *htmlPage {
	pg := &htmlPage{R: r, Version: version, Window: r.windowString(), Accounts: r.accountsString(), Missing: r.missingString()}
	pg.groups()
	pg.cards()
	pg.chart()
	for i, p := range r.Periods {
		m := htmlMonth{Period: p.Period.String(), Invoices: itoa64(p.Invoices), Open: itoa64(p.Open), Items: itoa64(p.Items), Cost: fmtSum(&p.Total),
			Invoiced: fmtSum(&p.Invoiced), Credits: fmtSum(&p.Credits), Unreconciled: itoa64(p.Unreconciled)}
		if i > 0 {
			m.Change = fmtDiff(&p.Total, &r.Periods[i-1].Total)
			m.ChangeSign = p.Total.Cmp(&r.Periods[i-1].Total)
		}
		for _, g := range pg.Groups {
			var s schemas.Sum
			for svc, v := range p.Services {
				if g.members[svc] {
					s.AddSum(v)
				}
			}
			m.Cells = append(m.Cells, htmlCell{Service: g.Name, Amount: fmtSum(&s)})
		}
		pg.Months = append(pg.Months, m)
	}
	pg.Total = htmlMonth{Period: "total", Invoices: itoa64(r.Invoices), Open: itoa64(r.Open), Items: itoa64(r.Items), Cost: fmtSum(&r.Total),
		Invoiced: fmtSum(&r.Invoiced), Credits: fmtSum(&r.CreditsTotal), Unreconciled: itoa64(r.Unreconciled)}
	for _, g := range pg.Groups {
		pg.Total.Cells = append(pg.Total.Cells, htmlCell{Service: g.Name, Amount: fmtSum(&g.Total)})
	}

	var largest float64
	if len(r.Top) > 0 {
		largest = math.Abs(ratFloat(&r.Top[0].Total))
	}
	for i, rc := range r.Top {
		h := htmlResource{Rank: strconv.Itoa(i + 1), Service: serviceName(rc.Service), ID: strconv.FormatInt(rc.ID, 10),
			Label: rc.Label, Category: rc.Category, Location: rc.Location, Periods: strconv.Itoa(rc.Periods),
			Own: fmtSum(&rc.Own), Children: fmtSum(&rc.Children), Total: fmtSum(&rc.Total), Share: fmtShare(&rc.Total, &r.Total)}
		if largest > 0 && rc.Total.Cmp(new(schemas.Sum)) > 0 {
			// float64 only for the width of the inline bar, in pixels.
			h.BarW = int(math.Round(ratFloat(&rc.Total) / largest * 120))
		}
		pg.Top = append(pg.Top, h)
	}
	if n := r.Resources - len(r.Top); n > 0 {
		pg.TopRest = append(pg.TopRest, htmlResource{Service: "the other " + plural(n, "resource"),
			Total: fmtSum(&r.OtherTotal), Share: fmtShare(&r.OtherTotal, &r.Total), Check: "top-others"})
	}
	pg.TopRest = append(pg.TopRest,
		htmlResource{Service: "no resource (credits, fees, labor)", Label: itoa64(r.NoResRows) + " item rows",
			Total: fmtSum(&r.NoResource), Share: fmtShare(&r.NoResource, &r.Total), Check: "top-nores"},
		htmlResource{Service: "total", Total: fmtSum(&r.Total), Check: "top-total"})

	var last schemas.Period
	for _, cl := range r.Credits {
		pg.Credits = append(pg.Credits, htmlCredit{Period: cl.Period.String(), Kind: cl.Kind, Count: itoa64(cl.Count),
			Amount: fmtSum(&cl.Amount), First: cl.Period != last})
		last = cl.Period
	}
	pg.CredTot = fmtSum(&r.CreditsTotal)

	pg.Recon, pg.ReconOK = r.reconciliationLine(), r.Unreconciled == 0
	for _, u := range r.UnreconciledShown {
		pg.Unrec = append(pg.Unrec, htmlUnrec{Period: u.Period.String(), InvoiceID: strconv.FormatInt(u.InvoiceID, 10),
			Type: clip(u.TypeCode, 40), Status: clip(u.StatusCode, 40), Invoiced: u.invoicedString(),
			ItemsTotal: fmtMoney(u.ItemsTotal.BigRat()), Issues: clip(u.Issues, maxIssueRunes)})
	}
	pg.UnrecMore = r.Unreconciled - int64(len(r.UnreconciledShown))

	if f := r.Forecast; f != nil {
		pg.Forecast = &htmlForecast{Period: f.Period.String(), Amount: fmtSum(&f.Amount), LastMonth: f.LastMonth.String(),
			LastTotal: fmtSum(&f.LastTotal), Change: fmtDiff(&f.Amount, &f.LastTotal)}
		if f.Balance != nil {
			pg.Forecast.Balance, pg.Forecast.Taken = fmtMoney(f.Balance.BigRat()), f.Taken.Format("2006-01-02 15:04Z")
		}
	}
	return pg
}

// groups picks the chart's series: every service when they fit the
// palette, else the largest ones and "other services".
func (pg *htmlPage) groups() {
	svcs := pg.R.Services
	n := len(svcs)
	if n > len(palette) {
		n = len(palette) - 1
	}
	for i := range n {
		s := svcs[i]
		name := serviceName(s.Service)
		pg.Groups = append(pg.Groups, htmlGroup{Name: name, Title: name, Parts: strings.Split(name, "_"),
			Color: palette[i], members: map[string]bool{s.Service: true}, Total: s.Total})
	}
	if n < len(svcs) {
		g := htmlGroup{Name: otherServices, Title: otherServices, Parts: []string{otherServices}, Color: palette[len(palette)-1], members: map[string]bool{}}
		var names []string
		for _, s := range svcs[n:] {
			g.members[s.Service] = true
			g.Total.AddSum(&s.Total)
			names = append(names, serviceName(s.Service))
		}
		pg.Others = strings.Join(names, ", ")
		pg.Groups = append(pg.Groups, g)
	}
}

func (pg *htmlPage) cards() {
	r := pg.R
	pg.Cards = append(pg.Cards, htmlCard{Label: "Cost " + pg.Window, Value: fmtSum(&r.Total),
		Note: itoa64(r.Invoices) + " invoices, " + itoa64(r.Items) + " items", Check: "total"})
	if n := len(r.Periods); n > 0 {
		p := &r.Periods[n-1]
		note := "the first period of the window"
		if n > 1 {
			note = fmtDiff(&p.Total, &r.Periods[n-2].Total) + " vs " + r.Periods[n-2].Period.String()
		}
		if p.Open > 0 {
			note += "; " + plural(int(p.Open), "open invoice") + ": may still change"
		}
		pg.Cards = append(pg.Cards, htmlCard{Label: "Latest period " + p.Period.String(), Value: fmtSum(&p.Total), Note: note, Check: "last-month"})
	}
	pg.Cards = append(pg.Cards, htmlCard{Label: "Credits and refunds", Value: fmtSum(&r.CreditsTotal),
		Note: itoa64(int64(len(r.Credits))) + " lines in " + pg.Window, Check: "credits"})
	recon := "all reconciled"
	if r.Unreconciled > 0 {
		recon = "NOT reconciled"
	}
	pg.Cards = append(pg.Cards, htmlCard{Label: "Reconciliation", Value: itoa64(r.Invoices-r.Unreconciled) + " / " + itoa64(r.Invoices),
		Note: recon, Check: "reconciled"})
}

// ratFloat converts an exact sum to float64. It is used only to compute
// pixel sizes (bar heights and widths), never for an amount shown.
func ratFloat(s *schemas.Sum) float64 {
	f, _ := sumRat(s).Float64()
	return f
}

// chart lays out the stacked bar chart: one bar per period, one segment per
// series; positive amounts stack up from zero, negative ones (credits) down.
func (pg *htmlPage) chart() {
	r := pg.R
	c := &pg.Chart
	c.W, c.H = chartW, chartH
	c.PlotX, c.PlotW = chartLeft, chartW-chartLeft-chartRight
	plotH := chartH - chartTop - chartBottom
	// Per period and series: the amount (exact) and its float64 for pixels.
	type seg struct {
		g   int
		sum schemas.Sum
		f   float64
	}
	segs := make([][]seg, len(r.Periods))
	hi, lo := 0.0, 0.0
	for i, p := range r.Periods {
		pos, neg := 0.0, 0.0
		for gi, g := range pg.Groups {
			var s schemas.Sum
			for svc, v := range p.Services {
				if g.members[svc] {
					s.AddSum(v)
				}
			}
			f := ratFloat(&s) // pixels only
			segs[i] = append(segs[i], seg{gi, s, f})
			if f > 0 {
				pos += f
			} else {
				neg += f
			}
		}
		hi, lo = math.Max(hi, pos), math.Min(lo, neg)
	}
	step := niceStep((hi - lo) / 5)
	top := math.Ceil(hi/step) * step
	// Below zero the plot goes only as far as the largest credit needs
	// (to a tenth of a step), so that a small credit does not cost a
	// whole step of the chart's height.
	bottom := math.Floor(lo*1.05/(step/10)) * (step / 10)
	if top == bottom {
		top = step
	}
	scale := float64(plotH) / (top - bottom)
	yOf := func(v float64) int { return chartTop + int(math.Round((top-v)*scale)) }
	c.ZeroY = yOf(0)
	for v := math.Ceil(bottom/step) * step; v <= top+step/2; v += step {
		c.Ticks = append(c.Ticks, htmlTick{X: chartLeft - 8, Y: yOf(v), Label: axisLabel(v, step)})
	}
	n := max(len(r.Periods), 1)
	slot := float64(c.PlotW) / float64(n)
	barW := min(int(slot*0.7), maxBarW)
	barW = max(barW, 1)
	every := 1 + int(46/slot) // label every k-th period when they would overlap
	for i, p := range r.Periods {
		x := chartLeft + int(math.Round(slot*float64(i)+(slot-float64(barW))/2))
		if i%every == 0 {
			c.Labels = append(c.Labels, htmlTick{X: x + barW/2, Y: chartH - chartBottom + 18, Label: p.Period.String()})
		}
		up, down := 0.0, 0.0
		for _, s := range segs[i] {
			var y0, y1 int
			switch {
			case s.f > 0:
				y0, y1 = yOf(up+s.f), yOf(up)
				up += s.f
			case s.f < 0:
				y0, y1 = yOf(down), yOf(down+s.f)
				down += s.f
			default:
				continue
			}
			if y1 <= y0 {
				continue // smaller than a pixel: in the tables, not drawn
			}
			g := pg.Groups[s.g]
			amount := fmtSum(&s.sum)
			c.Bars = append(c.Bars, htmlBar{Period: p.Period.String(), Service: g.Name, Color: g.Color, Amount: amount,
				Title: p.Period.String() + " · " + g.Name + ": " + amount + " USD", X: x, Y: y0, W: barW, H: y1 - y0})
		}
	}
}

// niceStep returns 1, 2 or 5 times a power of ten, at least x.
func niceStep(x float64) float64 {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// axisLabel formats a gridline's value (a round number of the axis, not an
// amount of the lake).
func axisLabel(v, step float64) string {
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step)))
	}
	if math.Abs(v) < step/2 {
		v = 0
	}
	return groupThousands(strconv.FormatFloat(v, 'f', dec, 64))
}

var reportTemplate = template.Must(template.New("report").Parse(reportHTML))

const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>invoicelake report {{.Window}}</title>
<style>
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bg: #ffffff; --soft: #f5f7fa; --bad: #c62828; --good: #2e7d32; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
p.sub { margin: 0 0 4px; color: var(--muted); }
p.note { color: var(--muted); margin: 6px 0 0; font-size: 13px; }
.cards { display: flex; gap: 16px; margin: 20px 0 8px; flex-wrap: wrap; }
.card { flex: 1 1 200px; background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; margin: 2px 0; }
.card .cnote { color: var(--muted); font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; padding: 0; margin: 4px 0 8px; }
.legend li { display: flex; align-items: center; gap: 6px; font-size: 13px; }
.legend svg { flex: none; }
svg.chart text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; fill: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: var(--soft); }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
tr.total td { font-weight: 600; border-top: 2px solid var(--ink); background: var(--bg); }
tr.rest td { color: var(--muted); }
tr.first td { border-top: 1px solid #cbd2d9; }
td.up { color: var(--bad); }
td.down { color: var(--good); }
.bad { color: var(--bad); font-weight: 600; }
.good { color: var(--good); font-weight: 600; }
td.issues { max-width: 560px; overflow-wrap: anywhere; font-size: 13px; }
td.name { max-width: 420px; overflow-wrap: anywhere; }
.muted { color: var(--muted); font-size: 12px; }
th.wrap { white-space: normal; min-width: 84px; vertical-align: bottom; }
td:first-child { white-space: nowrap; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
<h1>Cost report {{.Window}}</h1>
<p class="sub">Lake <code>{{.R.Location}}</code> · account {{.Accounts}} · {{len .R.Periods}} billing periods · amounts in USD, exact to the cent as invoiced</p>
<p class="sub">Cost is the sum of the items' <code>total_amount</code> (taxes included, credits netted); <em>invoiced</em> is the sum of the invoices' <code>invoice_total_amount</code>.</p>
{{if .Missing}}<p class="sub bad" data-check="missing">Not in the lake (never exported): {{.Missing}}</p>{{end}}

<div class="cards">
{{range .Cards}}<div class="card" data-check="card-{{.Check}}"><div class="label">{{.Label}}</div><div class="value" data-check="{{.Check}}">{{.Value}}</div><div class="cnote">{{.Note}}</div></div>
{{end}}</div>

<h2>Cost per month by resource service</h2>
<ul class="legend" data-check="legend">
{{range .Groups}}<li data-service="{{.Name}}" data-color="{{.Color}}"><svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" rx="2" fill="{{.Color}}"/></svg>{{.Title}}</li>
{{end}}</ul>
{{if .Others}}<p class="note">Other services: {{.Others}}.</p>{{end}}
<svg class="chart" data-check="chart" width="{{.Chart.W}}" height="{{.Chart.H}}" viewBox="0 0 {{.Chart.W}} {{.Chart.H}}" role="img" aria-label="Stacked bar chart of the cost per month by resource service">
{{range .Chart.Ticks}}<line x1="{{$.Chart.PlotX}}" x2="{{$.Chart.W}}" y1="{{.Y}}" y2="{{.Y}}" stroke="#e4e7eb" shape-rendering="crispEdges"/><text x="{{.X}}" y="{{.Y}}" dy="4" text-anchor="end">{{.Label}}</text>
{{end}}{{range .Chart.Bars}}<rect class="bar" data-period="{{.Period}}" data-service="{{.Service}}" data-amount="{{.Amount}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Color}}" shape-rendering="crispEdges"><title>{{.Title}}</title></rect>
{{end}}<line x1="{{.Chart.PlotX}}" x2="{{.Chart.W}}" y1="{{.Chart.ZeroY}}" y2="{{.Chart.ZeroY}}" stroke="#1f2933" shape-rendering="crispEdges"/>
{{range .Chart.Labels}}<text x="{{.X}}" y="{{.Y}}" text-anchor="middle">{{.Label}}</text>
{{end}}</svg>
<p class="note">Credits and other negative amounts are drawn below the zero line. Hover a bar for its amount.</p>

<h2>Cost per month</h2>
<table data-check="months">
<thead><tr><th>period</th><th class="num">invoices</th><th class="num">open</th><th class="num">items</th><th class="num">cost</th><th class="num">change</th><th class="num">invoiced</th><th class="num">credits</th><th class="num">unreconciled</th></tr></thead>
<tbody>
{{range .Months}}<tr><td>{{.Period}}</td><td class="num">{{.Invoices}}</td><td class="num">{{.Open}}</td><td class="num">{{.Items}}</td><td class="num" data-check="period-total" data-period="{{.Period}}">{{.Cost}}</td><td class="num{{if gt .ChangeSign 0}} up{{else if lt .ChangeSign 0}} down{{end}}">{{.Change}}</td><td class="num" data-check="period-invoiced" data-period="{{.Period}}">{{.Invoiced}}</td><td class="num">{{.Credits}}</td><td class="num{{if ne .Unreconciled "0"}} bad{{end}}">{{.Unreconciled}}</td></tr>
{{end}}<tr class="total"><td>total</td><td class="num">{{.Total.Invoices}}</td><td class="num">{{.Total.Open}}</td><td class="num">{{.Total.Items}}</td><td class="num" data-check="window-total">{{.Total.Cost}}</td><td></td><td class="num" data-check="window-invoiced">{{.Total.Invoiced}}</td><td class="num">{{.Total.Credits}}</td><td class="num">{{.Total.Unreconciled}}</td></tr>
</tbody></table>
{{if ne .Total.Open "0"}}<p class="note"><em>Open</em>: invoices not closed yet; their periods may still change.</p>{{end}}

<h2>Cost per month and resource service</h2>
<div class="scroll"><table data-check="services">
<thead><tr><th>period</th>{{range .Groups}}<th class="num wrap"><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="{{.Color}}"/></svg> {{range $i, $p := .Parts}}{{if $i}}_<wbr>{{end}}{{$p}}{{end}}</th>{{end}}<th class="num">total</th></tr></thead>
<tbody>
{{range .Months}}{{$p := .Period}}<tr><td>{{.Period}}</td>{{range .Cells}}<td class="num" data-check="service" data-period="{{$p}}" data-service="{{.Service}}">{{.Amount}}</td>{{end}}<td class="num">{{.Cost}}</td></tr>
{{end}}<tr class="total"><td>total</td>{{range .Total.Cells}}<td class="num" data-check="service-total" data-service="{{.Service}}">{{.Amount}}</td>{{end}}<td class="num">{{.Total.Cost}}</td></tr>
</tbody></table></div>

<h2>Top {{len .Top}} resources, children's cost rolled up</h2>
<p class="note">A resource is a <code>resource_service</code> and <code>resource_id</code>: every item row carries its top-level item's, so a server's cores, RAM, disks and licences add up to it. <em>Own</em> is the top-level item's amount, <em>children</em> everything below it. {{.R.Resources}} resources in {{.Window}}.</p>
<div class="scroll"><table data-check="top">
<thead><tr><th class="num">#</th><th>resource</th><th>category</th><th>location</th><th class="num">periods</th><th class="num">own</th><th class="num">children</th><th class="num">total</th><th class="num">share</th><th></th></tr></thead>
<tbody>
{{range .Top}}<tr><td class="num">{{.Rank}}</td><td class="name"><div>{{.Label}}</div><div class="muted" data-check="top-key">{{.Service}} {{.ID}}</div></td><td>{{.Category}}</td><td>{{.Location}}</td><td class="num">{{.Periods}}</td><td class="num">{{.Own}}</td><td class="num">{{.Children}}</td><td class="num" data-check="top-resource">{{.Total}}</td><td class="num">{{.Share}}</td><td><svg width="120" height="10" aria-hidden="true"><rect width="{{.BarW}}" height="10" fill="#4e79a7"/></svg></td></tr>
{{end}}{{range .TopRest}}<tr class="{{if eq .Check "top-total"}}total{{else}}rest{{end}}"><td></td><td class="name">{{.Service}}{{if .Label}} <span class="muted">({{.Label}})</span>{{end}}</td><td></td><td></td><td></td><td></td><td></td><td class="num" data-check="{{.Check}}">{{.Total}}</td><td class="num">{{.Share}}</td><td></td></tr>
{{end}}</tbody></table></div>

<h2>Credits and refunds per month</h2>
<p class="note">CREDIT, REFUND and MANUAL_PAYMENT_CREDIT invoices with their <code>invoice_total_amount</code>; negative item rows of other invoices (late adjustments) with their <code>total_amount</code>.</p>
{{if .Credits}}<table data-check="credits">
<thead><tr><th>period</th><th>kind</th><th class="num">count</th><th class="num">amount</th></tr></thead>
<tbody>
{{range .Credits}}<tr{{if .First}} class="first"{{end}}><td>{{if .First}}{{.Period}}{{end}}</td><td>{{.Kind}}</td><td class="num">{{.Count}}</td><td class="num" data-check="credit" data-period="{{.Period}}" data-kind="{{.Kind}}">{{.Amount}}</td></tr>
{{end}}<tr class="total"><td>total</td><td></td><td></td><td class="num" data-check="credits-total">{{.CredTot}}</td></tr>
</tbody></table>{{else}}<p data-check="credits-none">No credit or refund in {{.Window}}.</p>{{end}}

<h2>Reconciliation</h2>
<p class="{{if .ReconOK}}good{{else}}bad{{end}}" data-check="reconciliation">{{.Recon}}</p>
{{if .Unrec}}<div class="scroll"><table data-check="unreconciled">
<thead><tr><th>period</th><th class="num">invoice_id</th><th>type</th><th>status</th><th class="num">invoiced</th><th class="num">items total</th><th>issues</th></tr></thead>
<tbody>
{{range .Unrec}}<tr><td>{{.Period}}</td><td class="num" data-check="unreconciled-invoice">{{.InvoiceID}}</td><td>{{.Type}}</td><td>{{.Status}}</td><td class="num">{{.Invoiced}}</td><td class="num">{{.ItemsTotal}}</td><td class="issues">{{.Issues}}</td></tr>
{{end}}</tbody></table></div>
{{if gt .UnrecMore 0}}<p class="note">… and {{.UnrecMore}} more: query the <code>unreconciled_invoices</code> view (<code>invoicelake ddl</code>).</p>{{end}}{{end}}

{{with .Forecast}}<h2>Next invoice forecast</h2>
<table data-check="forecast">
<thead><tr><th>period</th><th class="num">amount</th><th class="num">change</th></tr></thead>
<tbody><tr><td>{{.LastMonth}} (last month)</td><td class="num">{{.LastTotal}}</td><td></td></tr>
<tr><td>{{.Period}} (forecast)</td><td class="num">{{.Amount}}</td><td class="num">{{.Change}}</td></tr></tbody></table>
{{if .Balance}}<p class="note">Balance {{.Balance}} (snapshot of {{.Taken}}).</p>{{end}}{{end}}

<footer>Generated by invoicelake {{.Version}} from the lake's published periods only. This page loads nothing from the network.</footer>
</body>
</html>
`
