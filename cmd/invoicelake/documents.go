package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
)

// docArchive archives the documents of CLOSED invoices as the periods are
// exported: each document is fetched once (one call), written once under
// documents/billing_period=P/ (a conditional create: never rewritten), and
// the PDF is referenced from the invoice's row. A document already there is
// skipped: its digest comes from the period's published row, or from
// reading it back. A failure leaves the invoice's document columns NULL
// and is reported once the periods are published (result): documents
// never hold invoices back.
type docArchive struct {
	p     *pipeline
	kinds []docKind

	period  schemas.Period
	loaded  bool
	present map[string]int64 // documents of the period: key -> size
	prev    map[int64]docRef // the published rows' references, by invoice

	Archived, Skipped, Failed int64
	first                     error
}

type docKind struct {
	kind     extract.DocumentKind
	detailed bool
	ext      string
}

type docRef struct {
	key, sha string
	size     int64
}

func newDocArchive(p *pipeline, kinds []string) *docArchive {
	// the PDF first: the invoices row references it
	d := &docArchive{p: p, kinds: []docKind{{extract.DocumentPDF, false, "pdf"}}}
	for _, k := range kinds {
		switch k {
		case "pdf_detailed":
			d.kinds = append(d.kinds, docKind{extract.DocumentPDFDetailed, true, "pdf"})
		case "excel":
			d.kinds = append(d.kinds, docKind{extract.DocumentExcel, false, "xlsx"})
		}
	}
	return d
}

func (d *docArchive) fail(err error, inv int64) {
	d.Failed++
	if d.first == nil {
		d.first = err
	}
	d.p.log.Warn("invoice document not archived (the invoice is exported without it)", "invoice_id", inv, "err", err)
}

// load reads what period per already holds.
func (d *docArchive) load(ctx context.Context, per schemas.Period) error {
	d.period, d.loaded, d.prev = per, false, map[int64]docRef{}
	present, err := d.p.lake.Documents(ctx, per)
	if err != nil {
		return err
	}
	d.present = present
	for r, err := range d.p.lake.InvoiceRows(ctx, per) {
		if errors.Is(err, load.ErrNotExist) {
			break
		}
		if err != nil {
			// an older or damaged version: digests are read back instead
			d.p.log.Debug("documents: the published invoices rows are not readable; digests are read back", "period", per, "err", err)
			break
		}
		if r.DocumentKey != nil && r.DocumentSHA256 != nil && r.DocumentBytes != nil {
			d.prev[r.InvoiceID] = docRef{*r.DocumentKey, *r.DocumentSHA256, *r.DocumentBytes}
		}
	}
	d.loaded = true
	return nil
}

// attach archives inv's documents if it is closed and sets row's
// references to its PDF. It does nothing on a nil archive.
func (d *docArchive) attach(ctx context.Context, row *schemas.InvoiceRow, inv *schemas.Invoice, per schemas.Period) {
	if d == nil {
		return
	}
	if inv.StatusCode != "CLOSED" && inv.StatusCode != "CLOSED_FAILED" {
		return
	}
	if inv.DocumentsGeneratedFlag != nil && !*inv.DocumentsGeneratedFlag {
		return
	}
	if !d.loaded || d.period != per {
		if err := d.load(ctx, per); err != nil {
			d.fail(err, inv.ID)
			return
		}
	}
	for i, k := range d.kinds {
		ref, err := d.archive(ctx, inv.ID, per, k)
		if err != nil {
			d.fail(err, inv.ID)
			continue
		}
		if i == 0 { // the PDF
			row.DocumentKey, row.DocumentSHA256, row.DocumentBytes = &ref.key, &ref.sha, &ref.size
		}
	}
}

// archive makes sure one document of inv is in the lake and returns its
// reference.
func (d *docArchive) archive(ctx context.Context, inv int64, per schemas.Period, k docKind) (docRef, error) {
	key := d.p.lake.DocumentKey(per, inv, k.detailed, k.ext)
	if size, ok := d.present[key]; ok {
		d.Skipped++
		if r, ok := d.prev[inv]; ok && r.key == key && r.size == size {
			return r, nil
		}
		n, sha, err := d.p.lake.DocumentDigest(ctx, key)
		return docRef{key, sha, n}, err
	}
	data, err := d.p.client.InvoiceDocument(ctx, inv, k.kind)
	if err != nil {
		return docRef{}, err
	}
	sum := sha256.Sum256(data)
	ref := docRef{key, hex.EncodeToString(sum[:]), int64(len(data))}
	switch err := d.p.lake.PutDocument(ctx, key, data); {
	case load.IsExists(err):
		// written meanwhile (never rewritten): reference what is there
		n, sha, err := d.p.lake.DocumentDigest(ctx, key)
		return docRef{key, sha, n}, err
	case err != nil:
		return docRef{}, err
	}
	d.present[key] = ref.size
	d.Archived++
	return ref, nil
}

// result reports the documents that could not be archived.
func (d *docArchive) result(_ context.Context, _ load.RunInfo, sum *Summary) error {
	if d == nil {
		return nil
	}
	sum.Documents = &DocumentsSummary{Archived: d.Archived, Skipped: d.Skipped, Failed: d.Failed}
	if d.Failed == 0 {
		return nil
	}
	return fmt.Errorf("%d documents not archived (their invoices are exported without them; the next run tries again), the first: %w", d.Failed, d.first)
}

// DocumentsSummary counts a run's invoice documents.
type DocumentsSummary struct {
	Archived int64 `json:"archived"`
	Skipped  int64 `json:"skipped"` // already in the lake
	Failed   int64 `json:"failed"`
}
