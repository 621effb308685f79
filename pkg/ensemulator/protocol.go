package ensemulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// APIVersion is the only ENS API version the emulator speaks.
const APIVersion = "2017-11-10"

const (
	timestampLayout = "2006-01-02T15:04:05Z"
	// maxClockSkew is how far a request's Timestamp may be from the
	// emulator's clock; nonces are remembered for as long.
	maxClockSkew = 15 * time.Minute
	maxBodyBytes = 1 << 20
	hostID       = "ens.aliyuncs.com"
)

// obj is a JSON object answer.
type obj = map[string]any

// rpcRequest is one decoded RPC call: the parameters of the query string
// and the form body merged, as the SDK signs them together.
type rpcRequest struct {
	method string
	params params
}

// decodeRequest reads the parameters of an RPC call. It accepts GET and
// POST, with parameters in the query, a form body, or both.
func decodeRequest(r *http.Request) (*rpcRequest, *apiError) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return nil, newError(CodeInvalidParameter, "HTTP method %s is not supported.", r.Method)
	}
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalidParam("The query string is malformed: %v", err)
	}
	if r.Method == http.MethodPost && r.Body != nil && isForm(r.Header.Get("Content-Type")) {
		if err := mergeFormBody(r.Body, values); err != nil {
			return nil, err
		}
	}
	return &rpcRequest{method: r.Method, params: params{values}}, nil
}

func isForm(contentType string) bool {
	return contentType == "" || strings.HasPrefix(contentType, "application/x-www-form-urlencoded")
}

func mergeFormBody(body io.Reader, into url.Values) *apiError {
	raw, err := io.ReadAll(io.LimitReader(body, maxBodyBytes+1))
	if err != nil {
		return invalidParam("Cannot read the request body: %v", err)
	}
	if len(raw) > maxBodyBytes {
		return invalidParam("The request body is larger than %d bytes.", maxBodyBytes)
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return invalidParam("The form body is malformed: %v", err)
	}
	for k, vs := range form {
		into[k] = append(into[k], vs...)
	}
	return nil
}

// params gives typed access to request parameters.
type params struct{ v url.Values }

func (p params) str(name string) string { return p.v.Get(name) }

func (p params) required(name string) (string, *apiError) {
	s := p.v.Get(name)
	if s == "" {
		return "", missingParam(name)
	}
	return s, nil
}

// integer parses an optional decimal parameter; empty gives def.
func (p params) integer(name string, def, lo, hi int) (int, *apiError) {
	s := p.v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, invalidParam("The parameter %s must be an integer, got %q.", name, s)
	}
	if n < lo || n > hi {
		return 0, invalidParam("The parameter %s must be between %d and %d, got %d.", name, lo, hi, n)
	}
	return n, nil
}

// rangedInt is integer for a parameter ENS documents a range for: out of
// range answers InvalidParameter.<Name>.
func (p params) rangedInt(name string, def, lo, hi int) (int, *apiError) {
	n, aerr := p.integer(name, def, lo, hi)
	if aerr != nil {
		aerr.Code = CodeInvalidParameter + "." + name
	}
	return n, aerr
}

// textLen checks the length in characters of an optional text parameter:
// absent is fine, present must be lo–hi (InvalidParameter.<Name>).
func (p params) textLen(name string, lo, hi int) *apiError {
	s := p.str(name)
	if n := utf8.RuneCountInString(s); s != "" && (n < lo || n > hi) {
		return invalidParamOf(name, "The parameter %s must be %d to %d characters, got %d.", name, lo, hi, n)
	}
	return nil
}

// requiredField names a mandatory string parameter and where it goes.
type requiredField struct {
	name string
	dst  *string
}

// requiredInto reads mandatory parameters in order, failing on the first
// missing one.
func (p params) requiredInto(fields ...requiredField) *apiError {
	for _, f := range fields {
		v, aerr := p.required(f.name)
		if aerr != nil {
			return aerr
		}
		*f.dst = v
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// requiredInt parses a mandatory decimal parameter.
func (p params) requiredInt(name string, lo, hi int) (int, *apiError) {
	if p.v.Get(name) == "" {
		return 0, missingParam(name)
	}
	return p.integer(name, 0, lo, hi)
}

// jsonParam decodes a JSON-typed parameter into out. It reports false when
// the parameter is absent or the literal null the SDK sends for nil.
func (p params) jsonParam(name string, out any) (bool, *apiError) {
	s := strings.TrimSpace(p.v.Get(name))
	if s == "" || s == "null" {
		return false, nil
	}
	if err := json.Unmarshal([]byte(s), out); err != nil {
		return false, invalidParam("The parameter %s is not valid JSON of the expected shape: %v", name, err)
	}
	return true, nil
}

// commaList reads a parameter that takes a comma-separated list of at most
// maxItems values (InvalidParameter.<Name> beyond); empty items are dropped.
func (p params) commaList(name string, maxItems int) ([]string, *apiError) {
	var out []string
	for item := range strings.SplitSeq(p.str(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	if len(out) > maxItems {
		return nil, invalidParamOf(name, "The parameter %s takes at most %d values, got %d.", name, maxItems, len(out))
	}
	return out, nil
}

// repeated returns Name.1, Name.2, ... until the first gap.
func (p params) repeated(name string) []string {
	var out []string
	for i := 1; ; i++ {
		s, ok := p.v[fmt.Sprintf("%s.%d", name, i)]
		if !ok || len(s) == 0 {
			return out
		}
		out = append(out, s[0])
	}
}

// page is a PageNumber/PageSize pair.
type page struct{ Number, Size int }

const (
	defaultPageSize = 10
	maxPageSize     = 100
)

func (p params) page() (page, *apiError) { return p.pageUpTo(maxPageSize) }

// pageUpTo reads the paging parameters of an action with its own page limit.
func (p params) pageUpTo(maxSize int) (page, *apiError) {
	n, err := p.integer("PageNumber", 1, 1, 1<<30)
	if err != nil {
		return page{}, err
	}
	size, err := p.integer("PageSize", defaultPageSize, 1, maxSize)
	if err != nil {
		return page{}, err
	}
	return page{Number: n, Size: size}, nil
}

// paginate returns one page of items.
func paginate[T any](items []T, pg page) []T {
	start := (pg.Number - 1) * pg.Size
	if start >= len(items) || start < 0 {
		return []T{}
	}
	return items[start:min(start+pg.Size, len(items))]
}

// pageAnswer is the common part of a paged answer.
func pageAnswer(pg page, total int) obj {
	return obj{"PageNumber": pg.Number, "PageSize": pg.Size, "TotalCount": total}
}

// writeJSON answers with a JSON object carrying the request id.
func writeJSON(w http.ResponseWriter, status int, body obj) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	writeJSON(w, e.Status, obj{"RequestId": requestID, "HostId": hostID, "Code": e.Code, "Message": e.Message})
}
