package extract

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
)

// DocumentKind is an invoice document the API renders.
type DocumentKind int

// The invoice documents.
const (
	DocumentPDF         DocumentKind = iota // SoftLayer_Billing_Invoice::getPdf
	DocumentPDFDetailed                     // getPdfDetailed
	DocumentExcel                           // getExcel (an Office Open XML workbook)
)

func (k DocumentKind) method() string {
	switch k {
	case DocumentPDFDetailed:
		return "getPdfDetailed"
	case DocumentExcel:
		return "getExcel"
	}
	return "getPdf"
}

// magic is how a decoded document of kind k starts.
func (k DocumentKind) magic() []byte {
	if k == DocumentExcel {
		return []byte("PK\x03\x04")
	}
	return []byte("%PDF-")
}

// ErrNotADocument: the API's answer decoded to something that is not the
// document asked for (permanent: asking again returns the same).
var ErrNotADocument = errors.New("not the document asked for")

// InvoiceDocument returns the bytes of an invoice's document. The API
// answers a JSON string of base64 with "/" escaped as "\/" (the billing
// article's tr -d '"\' step); the string is unescaped, then decoded, then
// checked to start as the document should (%PDF- or an xlsx's zip
// header). One call; the body is bounded by Config.MaxBodyBytes.
func (c *Client) InvoiceDocument(ctx context.Context, invoiceID int64, kind DocumentKind) ([]byte, error) {
	if invoiceID <= 0 {
		return nil, fmt.Errorf("extract: document: invoice id %d: %w", invoiceID, ErrPermanent)
	}
	var out []byte
	req := request{service: "SoftLayer_Billing_Invoice", id: invoiceID, method: kind.method()}
	err := c.call(ctx, req, func(body []byte, _ int) error {
		var err error
		out, err = decodeDocument(body, kind)
		return err
	})
	if err != nil {
		return nil, err // call names the method and the invoice
	}
	return out, nil
}

// decodeDocument decodes an answer of a document method: a JSON string of
// base64 (padded or not, whitespace tolerated).
func decodeDocument(body []byte, kind DocumentKind) ([]byte, error) {
	l := lexer{data: body}
	if l.peek() != '"' {
		return nil, &DecodeError{Field: kind.method(), Value: snippet(body), Err: fmt.Errorf("want a JSON string of base64: %w", ErrNotADocument)}
	}
	s, err := l.str()
	if err != nil {
		return nil, err
	}
	if l.peek() != 0 {
		return nil, l.errorf("trailing data after the document")
	}
	clean := bytes.Map(func(r rune) rune {
		switch r {
		case ' ', '\n', '\r', '\t':
			return -1
		}
		return r
	}, s)
	enc := base64.StdEncoding
	if len(clean)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(clean)))
	n, err := enc.Decode(out, clean)
	if err != nil {
		return nil, &DecodeError{Field: kind.method(), Value: snippetOf(clean), Err: fmt.Errorf("base64: %v: %w", err, ErrNotADocument)}
	}
	out = out[:n]
	if !bytes.HasPrefix(out, kind.magic()) {
		return nil, &DecodeError{Field: kind.method(), Value: snippetOf(out), Err: fmt.Errorf("does not start with %q: %w", kind.magic(), ErrNotADocument)}
	}
	return out, nil
}

func snippetOf(b []byte) string {
	if len(b) > 32 {
		b = b[:32]
	}
	return string(bytes.ToValidUTF8(b, []byte("?")))
}
