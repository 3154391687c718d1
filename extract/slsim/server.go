package slsim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim/query"
)

// HTTP statuses chosen where the API's documentation is silent (see
// docs/SIMULATOR.md): unknown service or method 404, a verb other than GET
// 400 SoftLayer_Exception_WebService_BadRequest, an unparsable objectFilter
// or resultLimit 500 SoftLayer_Exception_Public.

// Handler serves the REST API under /rest/v3/ and /rest/v3.1/ and the admin
// endpoints under /_sim/.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/rest/v3/", s.serveAPI)
	mux.HandleFunc("/rest/v3.1/", s.serveAPI)
	mux.HandleFunc("/_sim/", s.serveAdmin)
	return mux
}

// answer is a response to write: a status, the total for
// SoftLayer-Total-Items (-1: none) and a body writer.
type answer struct {
	status int
	total  int
	body   func(w *bufio.Writer)
}

func apiError(status int, code, msg string) answer {
	return answer{status: status, total: -1, body: func(w *bufio.Writer) {
		w.WriteString(`{"error":`)
		writeString(w, msg)
		if code != "" {
			w.WriteString(`,"code":`)
			writeString(w, code)
		}
		w.WriteByte('}')
	}}
}

var (
	errInternal     = apiError(http.StatusInternalServerError, "SoftLayer_Exception_Public", "Internal Error")
	errAccessDenied = apiError(http.StatusUnauthorized, "SoftLayer_Exception_Public", "Access Denied. ")
	errBadRequest   = apiError(http.StatusBadRequest, "SoftLayer_Exception_WebService_BadRequest", "Bad request")
	errNoService    = apiError(http.StatusNotFound, "", "Service does not exist")
	errTokenExpired = apiError(http.StatusInternalServerError, "SoftLayer_Exception_Account_Authentication_AccessTokenValidation", "Expired Token")
)

func errNotFound(id string) answer {
	return apiError(http.StatusNotFound, "SoftLayer_Exception_ObjectNotFound", "Unable to find object with id of '"+id+"'.")
}

func errBadMethod(name string) answer {
	return apiError(http.StatusNotFound, "SoftLayer_Exception_Public", `Function ("`+name+`") is not a valid method for this service.`)
}

// route is a parsed REST path.
type route struct {
	service string
	id      string // "" = no init parameter
	method  string // normalized: getObject, getInvoices...
	raw     string // the method as written
	format  string // json (default), xml, txt
}

func (rt route) key() string { return rt.service + "::" + rt.method }

func isID(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// normMethod turns the get-less relational form ("Invoices") into a method
// name ("getInvoices").
func normMethod(m string) string {
	if m != "" && m[0] >= 'A' && m[0] <= 'Z' {
		return "get" + m
	}
	return m
}

// parseRoute parses {Service}[/{id}][/{method}][.json], and the drill-down
// SoftLayer_Account/getInvoices/{id}[/{method}].
func parseRoute(p string) (route, bool) {
	p = strings.Trim(p, "/")
	var rt route
	rt.format = "json"
	for _, f := range []string{"json", "xml", "txt"} {
		if strings.HasSuffix(p, "."+f) {
			p, rt.format = strings.TrimSuffix(p, "."+f), f
			break
		}
	}
	seg := strings.Split(p, "/")
	if len(seg) == 0 || seg[0] == "" {
		return rt, false
	}
	rt.service, seg = seg[0], seg[1:]
	if len(seg) > 0 && isID(seg[0]) {
		rt.id, seg = seg[0], seg[1:]
	}
	if len(seg) > 0 {
		rt.raw, seg = seg[0], seg[1:]
	}
	rt.method = normMethod(rt.raw)
	if rt.method == "" {
		rt.method = "getObject"
	}
	if len(seg) > 0 {
		// drill-down: SoftLayer_Account/getInvoices/{id}[/{method}]
		if rt.service != "SoftLayer_Account" || rt.method != "getInvoices" || !isID(seg[0]) || len(seg) > 2 {
			return rt, false
		}
		rt.service, rt.id, rt.raw = "SoftLayer_Billing_Invoice", seg[0], ""
		if len(seg) == 2 {
			rt.raw = seg[1]
		}
		rt.method = normMethod(rt.raw)
		if rt.method == "" {
			rt.method = "getObject"
		}
	}
	return rt, true
}

func serviceType(name string) *query.Type {
	switch name {
	case "SoftLayer_Account":
		return tAccount
	case "SoftLayer_Billing_Invoice":
		return tInvoice
	case "SoftLayer_Billing_Invoice_Item":
		return tItem
	case "SoftLayer_Billing_Item":
		return tBillingItem
	case "SoftLayer_Billing_Order":
		return tOrder
	case "SoftLayer_Billing_Order_Item":
		return tOrderItem
	}
	return nil
}

// credential identifies the caller's account and the rate-limit key of the
// credential it used; a is nil when the request is not authenticated.
func (s *Sim) credential(r *http.Request) (a *acct, key string) {
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		tok = strings.TrimSpace(tok)
		for _, a := range s.accts {
			if eq(tok, a.creds.BearerToken) {
				return a, "bearer:" + itoa(a.index)
			}
		}
		return nil, ""
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return nil, ""
	}
	for _, a := range s.accts {
		if user == "apikey" && eq(pass, a.creds.IAMKey) {
			return a, "iam:" + itoa(a.index)
		}
		if eq(user, a.creds.User) && eq(pass, a.creds.APIKey) {
			return a, "classic:" + itoa(a.index)
		}
	}
	return nil, ""
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/rest/v3.1/"), "/rest/v3/")
	rt, ok := parseRoute(rest)
	key := "invalid"
	if ok && serviceType(rt.service) != nil {
		key = rt.key() // unknown services share "invalid": the map stays bounded
	}
	s.countRequest(key)

	fault, jitter := s.nextFaultJitter()
	if !sleepCtx(ctx, s.opts.Latency+jitter) {
		return
	}
	acct, cred := s.credential(r)
	if acct == nil {
		s.countUnauthorized()
		s.write(w, errAccessDenied, 0)
		return
	}
	if !s.limit.allow(cred, time.Now()) {
		s.countRateLimited()
		s.countFault(FaultRateLimit)
		s.write(w, apiError(http.StatusInternalServerError, "SoftLayer_Exception_WebService_RateLimitExceeded", s.limit.message()), 0)
		return
	}
	s.countAccepted(time.Now(), acct.info.id)
	if fault == 0 {
		fault = s.nextFault()
	}
	if fault != 0 {
		s.countFault(fault)
	}
	switch fault {
	case FaultInternalError, FaultTooMuchData:
		s.write(w, errInternal, 0)
		return
	case FaultError200:
		a := errInternal
		a.status = http.StatusOK
		s.write(w, a, 0)
		return
	case FaultRateLimit:
		s.write(w, apiError(http.StatusInternalServerError, "SoftLayer_Exception_WebService_RateLimitExceeded", s.limit.message()), 0)
		return
	case FaultUnauthorized:
		s.write(w, errAccessDenied, 0)
		return
	case FaultTokenExpired:
		s.write(w, errTokenExpired, 0)
		return
	case FaultReset:
		reset(w)
		return
	case FaultSlow:
		if !sleepCtx(ctx, s.opts.SlowDelay) {
			return
		}
		fault = 0
	}

	var a answer
	switch {
	case !ok:
		a = errNoService
		if serviceType(rt.service) != nil {
			a = errBadMethod(strings.TrimPrefix(rest, rt.service+"/"))
		}
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		a = errBadRequest
	case rt.format != "json":
		a = apiError(http.StatusBadRequest, "SoftLayer_Exception_WebService_BadRequest", "Unsupported format ."+rt.format+": the simulator speaks JSON only")
	default:
		a = s.call(acct, rt, r.URL.RawQuery)
	}
	s.write(w, a, fault)
	s.log.Debug("slsim: request", "method", key, "status", a.status, "query", r.URL.RawQuery)
}

// nextFaultJitter takes an injected fault only after authentication; here
// it only draws the latency jitter.
func (s *Sim) nextFaultJitter() (FaultKind, time.Duration) {
	if s.opts.Jitter <= 0 {
		return 0, 0
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return 0, time.Duration(s.faults.rng.next() % uint64(s.opts.Jitter))
}

func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST instead of FIN
	}
	_ = conn.Close()
}

// write sends a, buffering it when a page-size limit or a body fault needs
// the whole body; otherwise it streams.
func (s *Sim) write(w http.ResponseWriter, a answer, fault FaultKind) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if a.total >= 0 {
		h["SoftLayer-Total-Items"] = []string{strconv.Itoa(a.total)}
	}
	if s.opts.MaxPageBytes <= 0 && fault != FaultTruncate && fault != FaultMalformed {
		w.WriteHeader(a.status)
		bw := bufio.NewWriterSize(w, 32<<10)
		a.body(bw)
		_ = bw.Flush()
		return
	}
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	a.body(bw)
	_ = bw.Flush()
	body := buf.Bytes()
	if s.opts.MaxPageBytes > 0 && len(body) > s.opts.MaxPageBytes && a.status == http.StatusOK {
		s.countFault(FaultTooMuchData)
		delete(h, "SoftLayer-Total-Items")
		s.write(w, errInternal, 0)
		return
	}
	switch fault {
	case FaultTruncate:
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(a.status)
		_, _ = w.Write(body[:len(body)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // close the connection mid-body
	case FaultMalformed:
		cut := body[:len(body)/2]
		body = append(append([]byte{}, cut...), []byte("<!-- upstream timeout -->")...)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(a.status)
	_, _ = w.Write(body)
}

// resultLimit parses "off,lim" or "lim". lim 0 means no limit.
func parseResultLimit(v string) (off, lim int, ok bool) {
	if v == "" {
		return 0, 0, true
	}
	a, b, two := strings.Cut(v, ",")
	x, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil || x < 0 {
		return 0, 0, false
	}
	if !two {
		return 0, x, true
	}
	y, err := strconv.Atoi(strings.TrimSpace(b))
	if err != nil || y < 0 {
		return 0, 0, false
	}
	return x, y, true
}

// call runs one API method for account a.
func (s *Sim) call(a *acct, rt route, rawQuery string) answer {
	t := serviceType(rt.service)
	if t == nil {
		return errNoService
	}
	doc := documentMethods[rt.method]
	isDoc := rt.service == "SoftLayer_Billing_Invoice" && doc != nil
	all := rt.service == "SoftLayer_Billing_Order" && rt.method == "getAllObjects"
	var prop string
	var p query.Prop
	switch {
	case rt.method == "getObject", isDoc, all:
	default:
		prop = strings.TrimPrefix(rt.method, "get")
		if prop == rt.method || prop == "" {
			return errBadMethod(rt.raw)
		}
		prop = strings.ToLower(prop[:1]) + prop[1:]
		var ok bool
		p, ok = t.Props[prop]
		if !ok || (p.Kind != query.Relational && p.Kind != query.Computed) {
			return errBadMethod(rt.raw)
		}
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return errBadRequest
	}
	now := s.Now()
	c := &reqCtx{s: s, a: a, now: now}

	var root query.Record
	if !all {
		var ok bool
		if root, ok = s.root(c, rt); !ok {
			return errNotFound(rt.id)
		}
	}
	if isDoc {
		return doc(root.(invoiceRec))
	}

	mask, err := query.ParseMask(q.Get("objectMask"))
	if err != nil {
		return apiError(http.StatusInternalServerError, "SoftLayer_Exception_WebService_ObjectMask", strings.TrimPrefix(err.Error(), "query: "))
	}
	filter, err := query.ParseFilter(q.Get("objectFilter"))
	if err != nil {
		return apiError(http.StatusInternalServerError, "SoftLayer_Exception_Public", "Unable to parse object filter: "+strings.TrimPrefix(err.Error(), "query: object filter: "))
	}
	off, lim, ok := parseResultLimit(q.Get("resultLimit"))
	if !ok {
		return apiError(http.StatusInternalServerError, "SoftLayer_Exception_Public", "Invalid result limit: "+q.Get("resultLimit"))
	}
	ropts := query.ResolveOptions{DropLocalsOnRelationalOnly: s.opts.DropLocalsOnRelationalOnly}
	enc := func(w *bufio.Writer) *encoder {
		return &encoder{w: w, loc: s.central, now: now, filtered: mask.Filtered(), omitNull: s.opts.OmitNullLocals}
	}

	if all { // SoftLayer_Billing_Order::getAllObjects: the filter applies to the orders themselves
		sel, err := mask.ResolveWith(t, ropts)
		if err != nil {
			return maskError(err)
		}
		return s.list(c.orders(), t, sel, filter, off, lim, now, enc)
	}

	if prop == "" { // getObject
		sel, err := mask.ResolveWith(t, ropts)
		if err != nil {
			return maskError(err)
		}
		return answer{status: http.StatusOK, total: -1, body: func(w *bufio.Writer) { enc(w).record(root, t, sel, filter) }}
	}

	v, _ := root.Field(prop)
	switch {
	case p.Kind == query.Computed:
		return answer{status: http.StatusOK, total: -1, body: func(w *bufio.Writer) { writeScalar(w, v, s.central) }}
	case !p.Array:
		sel, err := mask.ResolveWith(p.Type, ropts)
		if err != nil {
			return maskError(err)
		}
		rec, _ := v.(query.Record)
		if rec == nil {
			return answer{status: http.StatusOK, total: -1, body: func(w *bufio.Writer) { w.WriteString("null") }}
		}
		return answer{status: http.StatusOK, total: -1, body: func(w *bufio.Writer) { enc(w).record(rec, p.Type, sel, filter.Under(prop)) }}
	}

	sel, err := mask.ResolveWith(p.Type, ropts)
	if err != nil {
		return maskError(err)
	}
	rs, _ := v.([]query.Record)
	return s.list(rs, p.Type, sel, filter.Under(prop), off, lim, now, enc)
}

// root finds the object a request's init parameter names, in the caller's
// account only: another account's id is not found.
func (s *Sim) root(c *reqCtx, rt route) (query.Record, bool) {
	a := c.a
	id, err := strconv.ParseInt(rt.id, 10, 64)
	if err != nil && rt.service != "SoftLayer_Account" {
		return nil, false
	}
	switch rt.service {
	case "SoftLayer_Account":
		if rt.id != "" && id != a.info.id {
			return nil, false
		}
		return accountRec{c}, true
	case "SoftLayer_Billing_Invoice":
		if h := a.header(id, c.now); h != nil {
			return invoiceRec{c, h}, true
		}
	case "SoftLayer_Billing_Invoice_Item":
		if rec, ok := a.itemByID(c, id); ok {
			return rec, true
		}
	case "SoftLayer_Billing_Item":
		if rec, ok := a.billingItemByID(c, id); ok {
			return rec, true
		}
	case "SoftLayer_Billing_Order":
		if rec, ok := a.orderByID(c, id); ok {
			return rec, true
		}
	case "SoftLayer_Billing_Order_Item":
		// an order item's id is its billing item's plus a constant
		if rec, ok := a.billingItemByID(c, id-a.model.orderItemID(0)); ok {
			return orderItemRec{c: c, res: rec.res, parts: rec.parts, part: rec.part}, true
		}
	}
	return nil, false
}

// list answers an array: filtered, sorted, paged, with the total.
func (s *Sim) list(rs []query.Record, t *query.Type, sel *query.Selection, f *query.Filter, off, lim int, now time.Time, enc func(*bufio.Writer) *encoder) answer {
	rs = matchAll(rs, f, now, s.central)
	keys := f.OrderBy()
	switch {
	case len(keys) == 1 && len(keys[0].Path) == 1 && keys[0].Path[0] == "id":
		// records come in id order already
		if keys[0].Desc {
			for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
				rs[i], rs[j] = rs[j], rs[i]
			}
		}
	case len(keys) > 0:
		f.Sort(rs)
	case s.opts.ShuffleUnsorted:
		s.shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
	}
	total := len(rs)
	page := rs
	if off >= len(page) {
		page = nil
	} else {
		page = page[off:]
	}
	if lim > 0 && lim < len(page) {
		page = page[:lim]
	}
	if s.opts.BareObjectOnLimitOne && lim == 1 && len(page) == 1 {
		return answer{status: http.StatusOK, total: total, body: func(w *bufio.Writer) { enc(w).record(page[0], t, sel, f) }}
	}
	return answer{status: http.StatusOK, total: total, body: func(w *bufio.Writer) { enc(w).array(page, t, sel, f) }}
}

func maskError(err error) answer {
	return apiError(http.StatusInternalServerError, "SoftLayer_Exception_WebService_ObjectMask", strings.TrimPrefix(err.Error(), "query: "))
}

// writeScalar writes the result of a scalar method: decimals as bare JSON
// numbers (as getBalance does), strings, booleans, dates, null.
func writeScalar(w *bufio.Writer, v any, loc *time.Location) {
	switch x := v.(type) {
	case query.Number:
		writeBareNumber(w, x)
	case string:
		writeString(w, x)
	case bool:
		w.WriteString(strconv.FormatBool(x))
	case int64:
		w.WriteString(strconv.FormatInt(x, 10))
	case time.Time:
		writeString(w, x.In(loc).Format(dateLayout))
	default:
		w.WriteString("null")
	}
}

// writeBareNumber writes an API amount as a JSON number (".5" => 0.5).
func writeBareNumber(w *bufio.Writer, n query.Number) {
	s := string(n)
	switch {
	case strings.HasPrefix(s, "."):
		s = "0" + s
	case strings.HasPrefix(s, "-."):
		s = "-0" + s[1:]
	}
	w.WriteString(s)
}
