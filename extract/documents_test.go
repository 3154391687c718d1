package extract

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/invoicelake/invoicelake/extract/slsim"
)

func TestDecodeDocument(t *testing.T) {
	pdf := []byte("%PDF-1.4\n/x/y\n%%EOF\n")
	b64 := base64.StdEncoding.EncodeToString(pdf)
	for name, body := range map[string]string{
		"escaped slashes":  `"` + strings.ReplaceAll(b64, "/", `\/`) + `"`,
		"plain":            `"` + b64 + `"`,
		"unpadded":         `"` + strings.TrimRight(b64, "=") + `"`,
		"with line breaks": `"` + b64[:8] + `\n` + b64[8:] + `"`,
	} {
		got, err := decodeDocument([]byte(body), DocumentPDF)
		if err != nil || !bytes.Equal(got, pdf) {
			t.Errorf("%s: got %q, %v", name, got, err)
		}
	}
	for name, body := range map[string]string{
		"not a string": `{"a":1}`, "not base64": `"%%%"`, "not a pdf": `"` + base64.StdEncoding.EncodeToString([]byte("hello")) + `"`,
	} {
		_, err := decodeDocument([]byte(body), DocumentPDF)
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, ErrPermanent) {
			t.Errorf("%s: got %v, want a permanent DecodeError", name, err)
		}
	}
	if _, err := decodeDocument([]byte(`"`+b64+`"`), DocumentExcel); err == nil {
		t.Errorf("a PDF accepted as an xlsx")
	}
}

// TestSimDocuments fetches every kind from the simulator: one call each.
func TestSimDocuments(t *testing.T) {
	srv := startSim(t, slsim.Options{HeavyInvoiceItems: -1})
	c := simClient(t, srv, nil)
	var id int64
	for inv, err := range c.Invoices(context.Background(), InvoiceQuery{Window: simWindow(4)}) {
		if err != nil {
			t.Fatal(err)
		}
		if inv.StatusCode == "CLOSED" && inv.ItemCount != nil && *inv.ItemCount > 0 {
			id = inv.ID
			break
		}
	}
	before := c.Stats().TotalCalls()
	for _, k := range []DocumentKind{DocumentPDF, DocumentPDFDetailed, DocumentExcel} {
		b, err := c.InvoiceDocument(context.Background(), id, k)
		if err != nil || !bytes.HasPrefix(b, k.magic()) {
			t.Errorf("kind %d: %d bytes, %v", k, len(b), err)
		}
	}
	if n := c.Stats().TotalCalls() - before; n != 3 {
		t.Errorf("got %d calls, want 3", n)
	}
}

// FuzzDecodeDocument: a document answer never panics the decoder, and a
// document returned starts as its kind says.
func FuzzDecodeDocument(f *testing.F) {
	f.Add([]byte(`"JVBERi0xLjQK"`))
	f.Add([]byte(`"UEsDBAo="`))
	f.Add([]byte(`"%%"`))
	f.Add([]byte(`{"error":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, k := range []DocumentKind{DocumentPDF, DocumentExcel} {
			b, err := decodeDocument(body, k)
			if err == nil && !bytes.HasPrefix(b, k.magic()) {
				t.Fatalf("kind %d: got %q", k, b)
			}
		}
	})
}
