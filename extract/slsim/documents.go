package slsim

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Invoice documents: SoftLayer_Billing_Invoice::getPdf, getPdfDetailed,
// getExcel and their getPreliminary* variants answer a JSON string holding
// base64 (with "/" escaped as "\/", as every string the API writes); the
// *Filename methods a string and getPdfFileSize a number. The bytes are
// derived from the invoice at the request's clock, so they are stable while
// the invoice does not change.

var documentMethods = map[string]func(invoiceRec) answer{
	"getPdf":                    func(r invoiceRec) answer { return base64Answer(r.pdf()) },
	"getPreliminaryPdf":         func(r invoiceRec) answer { return base64Answer(r.pdf()) },
	"getPdfDetailed":            func(r invoiceRec) answer { return base64Answer(r.pdfDetailed()) },
	"getPreliminaryPdfDetailed": func(r invoiceRec) answer { return base64Answer(r.pdfDetailed()) },
	"getExcel":                  func(r invoiceRec) answer { return base64Answer(r.excel()) },
	"getPreliminaryExcel":       func(r invoiceRec) answer { return base64Answer(r.excel()) },
	"getPdfFilename":            func(r invoiceRec) answer { return stringAnswer(r.filename("", "pdf")) },
	"getPdfDetailedFilename":    func(r invoiceRec) answer { return stringAnswer(r.filename("-detailed", "pdf")) },
	"getXlsFilename":            func(r invoiceRec) answer { return stringAnswer(r.filename("", "xlsx")) },
	"getPdfFileSize": func(r invoiceRec) answer {
		n := len(r.pdf())
		return answer{status: http.StatusOK, total: -1, body: func(w *bufio.Writer) { fmt.Fprint(w, n) }}
	},
}

func base64Answer(b []byte) answer {
	s := base64.StdEncoding.EncodeToString(b)
	return stringAnswer(s)
}

func stringAnswer(s string) answer {
	return answer{status: http.StatusOK, total: -1, body: func(w *bufio.Writer) { writeString(w, s) }}
}

func (r invoiceRec) filename(kind, ext string) string {
	return fmt.Sprintf("SoftLayer-%d-Invoice-%d%s.%s", r.c.a.info.id, r.h.id, kind, ext)
}

// pdf is the invoice's one-page summary.
func (r invoiceRec) pdf() []byte {
	return invoicePDF(r.h.id, r.view().invoiceTotalAmount().plain())
}

// docLine is one top-level item of an invoice document, with its children.
type docLine struct {
	id                             int64
	category, description, host    string
	recurring, oneTime, tax, total money
}

// lines returns the invoice's top-level items with their children's
// amounts added, as slcli's invoice-detail sums them.
func (r invoiceRec) lines() []docLine {
	var out []docLine
	for _, x := range r.itemRecords(true) {
		ir := x.(itemRec)
		it := ir.it()
		l := docLine{id: it.id, category: it.cat.name, description: it.desc, host: it.host}
		if l.category == "" {
			l.category = it.cat.code
		}
		if it.host != "" {
			l.host = it.host + "." + it.domain
		}
		add := func(i *item) {
			l.recurring += i.recurring
			l.oneTime += i.oneTime + i.setup + i.labor
			l.tax += i.recurringTax + i.oneTimeTax + i.setupTax + i.lTax
		}
		add(it)
		for _, c := range ir.d.children[ir.i] {
			add(&ir.d.items[c])
		}
		l.total = l.recurring + l.oneTime + l.tax
		out = append(out, l)
	}
	return out
}

// pdfDetailed lists every top-level item, 50 to a page.
func (r invoiceRec) pdfDetailed() []byte {
	v := r.view()
	head := []string{
		fmt.Sprintf("SoftLayer simulator detailed invoice %d (%s, %s)", r.h.id, r.h.typeCode, v.status()),
		fmt.Sprintf("Account %d  created %s", r.c.a.info.id, r.h.create.In(r.c.s.central).Format(dateLayout)),
		fmt.Sprintf("Total %s USD", v.invoiceTotalAmount().plain()),
		"",
	}
	var pages [][]string
	page := head
	for _, l := range r.lines() {
		if len(page) == 50 {
			pages = append(pages, page)
			page = nil
		}
		page = append(page, fmt.Sprintf("%d  %s  %s  %s  %s", l.id, l.category, l.description, l.host, l.total.plain()))
	}
	return pdfPages(append(pages, page))
}

// pdfPages returns a valid PDF with one page per element, one text line per
// string (non-ASCII written as '?').
func pdfPages(pages [][]string) []byte {
	n := len(pages)
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", ""}
	var kids []string
	for i, lines := range pages {
		var c strings.Builder
		c.WriteString("BT /F1 9 Tf 11 TL 40 760 Td")
		for _, l := range lines {
			c.WriteString(" (")
			c.WriteString(pdfText(l))
			c.WriteString(") Tj T*")
		}
		c.WriteString(" ET")
		page := 3 + 2*i
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R /Resources << /Font << /F1 %d 0 R >> >> >>", page+1, 3+2*n),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", c.Len(), c.String()))
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n)
	objs = append(objs, "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>")
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// pdfText escapes a PDF literal string; non-ASCII and control characters
// become '?'.
func pdfText(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20 || c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// excel is an Office Open XML workbook (xlsx) with one row per top-level
// item. Entries are stored (not deflated) with the invoice's createDate, so
// the bytes depend on nothing but the invoice.
func (r invoiceRec) excel() []byte {
	var sheet strings.Builder
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	row := func(n int, cells ...string) {
		fmt.Fprintf(&sheet, `<row r="%d">`, n)
		for i, v := range cells {
			ref := string(rune('A'+i)) + itoa(n)
			if i >= 4 && n > 1 { // amounts
				fmt.Fprintf(&sheet, `<c r="%s"><v>%s</v></c>`, ref, v)
				continue
			}
			fmt.Fprintf(&sheet, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, xmlText(v))
		}
		sheet.WriteString(`</row>`)
	}
	row(1, "Item Id", "Category", "Description", "Host", "Recurring", "One-Time", "Tax", "Total")
	for i, l := range r.lines() {
		row(i+2, itoa(int(l.id)), l.category, l.description, l.host, l.recurring.plain(), l.oneTime.plain(), l.tax.plain(), l.total.plain())
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`</Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
			`</Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Invoice ` + itoa(int(r.h.id)) + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`</Relationships>`},
		{"xl/worksheets/sheet1.xml", sheet.String()},
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	mod := r.h.create.UTC().Truncate(2 * time.Second)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store, Modified: mod})
		if err != nil {
			panic("slsim: xlsx: " + err.Error()) // writes to memory cannot fail
		}
		_, _ = w.Write([]byte(f.body))
	}
	if err := zw.Close(); err != nil {
		panic("slsim: xlsx: " + err.Error())
	}
	return b.Bytes()
}

func xmlText(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}
