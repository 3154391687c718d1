package main

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/load"
)

// pageSizesKey is where an account keeps the page sizes its client learned
// (extract.Client.PageSizes), for the next run to start from.
const pageSizesKey = "_state/page_sizes.json"

// pageSizesState is the file at pageSizesKey. It is advice only: a
// missing, corrupt or out-of-bounds file costs a run its head start,
// never the run.
type pageSizesState struct {
	Version   int                `json:"version"`
	Updated   time.Time          `json:"updated"`
	PageSizes []extract.PageSize `json:"page_sizes"`
}

const (
	pageSizesVersion = 1
	// maxPageSizeHints bounds the entries read: one per list method.
	maxPageSizeHints = 16
)

var listMethodRE = regexp.MustCompile(`^SoftLayer_[A-Za-z_]{1,60}::get[A-Za-z]{1,60}$`)

// validPageSizes keeps the entries of st that are within the bounds any
// configuration accepts, and reports whether it dropped any.
func validPageSizes(st pageSizesState) (keep []extract.PageSize, dropped bool) {
	if st.Version != pageSizesVersion {
		return nil, true
	}
	seen := map[string]bool{}
	for i, ps := range st.PageSizes {
		ok := i < maxPageSizeHints && listMethodRE.MatchString(ps.Method) && !seen[ps.Method] &&
			ps.Size >= extract.MinPageSizeLimit && ps.Size <= extract.MaxPageSizeLimit &&
			(ps.Ceiling == 0 || (ps.Ceiling > ps.Size && ps.Ceiling <= extract.MaxPageSizeLimit))
		if !ok {
			dropped = true
			continue
		}
		seen[ps.Method] = true
		keep = append(keep, ps)
	}
	return keep, dropped
}

// loadPageSizes gives the client the page sizes the account's last run
// learned. It only warns: the run goes on from the configured sizes.
func (p *pipeline) loadPageSizes(ctx context.Context) {
	p.pageSizes = nil
	var st pageSizesState
	err := p.lake.ReadJSON(ctx, pageSizesKey, &st, "it is replaced at the end of the run")
	if errors.Is(err, load.ErrNotExist) {
		return
	}
	if err != nil {
		p.log.Warn("ignoring the remembered page sizes: the run starts from the configured ones", "key", p.lake.Where(pageSizesKey), "err", err)
		return
	}
	hints, dropped := validPageSizes(st)
	if dropped {
		p.log.Warn("ignoring remembered page sizes out of bounds or of another version; the file is replaced at the end of the run",
			"key", p.lake.Where(pageSizesKey), "kept", len(hints))
	}
	p.client.SetPageSizeHints(hints)
	if !dropped {
		p.pageSizes = hints
	}
	p.log.Debug("page sizes from the last run", "page_sizes", hints)
}

// savePageSizes writes what the client learned, whatever the run's
// outcome (a failed run learned too). A failure to write is a warning.
func (p *pipeline) savePageSizes(ctx context.Context) {
	ps := p.client.PageSizes()
	if len(ps) == 0 || slices.Equal(ps, p.pageSizes) {
		return // nothing learned, or what the file says already
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	st := pageSizesState{Version: pageSizesVersion, Updated: time.Now().UTC().Truncate(time.Second), PageSizes: ps}
	if err := p.lake.WriteJSON(ctx, pageSizesKey, st); err != nil {
		p.log.Warn("could not remember the page sizes learned; the next run learns them again", "err", err)
		return
	}
	p.pageSizes = ps
}

// plannedPages is the page sizes the plan of a run (the progress ETA, the
// dry run) counts calls with: the sizes remembered from the account's
// last run where there are some, else the configured ones. Pages may
// still grow during the run: then the plan counts more calls than it
// makes.
func (p *pipeline) plannedPages() (invoices, items int64) {
	i, t := extract.ListPageSizes(p.pageSizes, p.cfg.Source.InvoicePageSize, p.cfg.Source.ItemPageSize)
	return int64(i), int64(t)
}
