package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/invoicelake/invoicelake/schemas"
)

// Invoice documents (the PDF of getPdf, the detailed PDF, the Excel
// workbook) are archived under documents/billing_period=YYYY-MM/, named
// after the invoice: written once (a conditional create), never rewritten
// nor deleted by the lake. The invoices table references the PDF with its
// key, size and SHA-256.

// DocumentsDir is the folder of the archived invoice documents.
const DocumentsDir = "documents"

// MaxDocumentBytes bounds an archived document.
const MaxDocumentBytes = 256 << 20

var documentKeyRE = regexp.MustCompile(`^` + DocumentsDir + `/` + acctRE + `billing_period=(\d{4}-\d{2})/(\d{1,19})(-detailed)?\.(pdf|xlsx)$`)

// documentKey reports whether key is a document under the lake's naming
// scheme (an account's, or of the layout before accounts).
func documentKey(key string) bool {
	_, ok := keyAccount(documentKeyRE, key)
	return ok
}

// ownDocument reports whether key is one of l's account's documents.
func (l *Lake) ownDocument(key string) bool {
	a, ok := keyAccount(documentKeyRE, key)
	return ok && a == l.acct && l.acct != ""
}

// DocumentKey is the key of an invoice's document: ext "pdf" or "xlsx";
// detailed for the detailed PDF.
func (l *Lake) DocumentKey(p schemas.Period, invoiceID int64, detailed bool, ext string) string {
	sfx := ""
	if detailed {
		sfx = "-detailed"
	}
	return DocumentsDir + "/" + l.acct + p.PartitionDir() + "/" + strconv.FormatInt(invoiceID, 10) + sfx + "." + ext
}

// Documents lists the archived documents of period p: key -> size.
func (l *Lake) Documents(ctx context.Context, p schemas.Period) (map[string]int64, error) {
	out := map[string]int64{}
	for o, err := range l.b.List(ctx, DocumentsDir+"/"+l.acct+p.PartitionDir()+"/") {
		if err != nil {
			return nil, fmt.Errorf("load: documents %s: %w", p, err)
		}
		if l.ownDocument(o.Key) {
			out[o.Key] = o.Size
		}
	}
	return out, nil
}

// PutDocument archives data under key (a DocumentKey) if nothing is
// there: a document is written once and never replaced. It returns an
// error wrapping ErrExists when the key is taken, and requires the lock.
func (l *Lake) PutDocument(ctx context.Context, key string, data []byte) error {
	if !l.ownDocument(key) {
		return fmt.Errorf("load: put document %s: not a document key of account %d", key, l.opts.Account)
	}
	if len(data) > MaxDocumentBytes {
		return fmt.Errorf("load: put document %s: %d bytes, more than %d: %w", key, len(data), MaxDocumentBytes, ErrPermanent)
	}
	if err := l.requireLock(); err != nil {
		return fmt.Errorf("load: put document %s: %w", key, err)
	}
	if err := l.b.PutIfAbsent(ctx, key, data); err != nil {
		return fmt.Errorf("load: put document %s: %w", key, err)
	}
	return nil
}

// DocumentDigest reads an archived document back and returns its size and
// lowercase hex SHA-256.
func (l *Lake) DocumentDigest(ctx context.Context, key string) (int64, string, error) {
	if !l.ownDocument(key) {
		return 0, "", fmt.Errorf("load: document %s: not a document key of account %d", key, l.opts.Account)
	}
	rc, err := l.b.Get(ctx, key)
	if err != nil {
		return 0, "", fmt.Errorf("load: document %s: %w", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, MaxDocumentBytes+1))
	if err != nil {
		return 0, "", fmt.Errorf("load: document %s: %w", key, err)
	}
	if n > MaxDocumentBytes {
		return 0, "", fmt.Errorf("load: document %s: more than %d bytes: %w", key, MaxDocumentBytes, ErrPermanent)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// IsExists reports an error of a write refused because the object exists.
func IsExists(err error) bool { return errors.Is(err, ErrExists) }
