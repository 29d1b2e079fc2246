package web_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// errorSources are every (code, field) pair the API can answer with, read
// from the code that makes them: problem(…) and problemWith(…) calls in
// this package, the case loop's refusals (caseflow's refuse and Error
// literals here and in the app), and the fields of checked-whole requests
// (FieldProblem). A field given by a variable counts with every query
// parameter and request field of the route table.
func errorSources(t *testing.T) (pairs map[[2]string]bool, codes map[string]bool) {
	t.Helper()
	pairs, codes = map[[2]string]bool{}, map[string]bool{}
	fset := token.NewFileSet()
	codeOf := map[string]string{} // caseflow.CodeWrongRole → wrong_role
	var calls []*ast.CallExpr
	var lits []*ast.CompositeLit
	for _, dir := range []string{".", "../caseflow", "../app"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.ValueSpec:
					if len(x.Names) == 1 && len(x.Values) == 1 && strings.HasPrefix(x.Names[0].Name, "Code") {
						if b, ok := x.Values[0].(*ast.BasicLit); ok && b.Kind == token.STRING {
							codeOf[x.Names[0].Name], _ = strconv.Unquote(b.Value)
						}
					}
				case *ast.CallExpr:
					calls = append(calls, x)
				case *ast.CompositeLit:
					lits = append(lits, x)
				}
				return true
			})
		}
	}
	str := func(e ast.Expr) (string, bool) {
		switch x := e.(type) {
		case *ast.BasicLit:
			if x.Kind == token.STRING {
				s, _ := strconv.Unquote(x.Value)
				return s, true
			}
		case *ast.Ident:
			if c, ok := codeOf[x.Name]; ok {
				return c, true
			}
		case *ast.SelectorExpr:
			if c, ok := codeOf[x.Sel.Name]; ok {
				return c, true
			}
		case *ast.BinaryExpr: // row + ".scope": the entry's field
			if s, ok := x.Y.(*ast.BasicLit); ok && x.Op == token.ADD {
				if v, _ := strconv.Unquote(s.Value); strings.HasPrefix(v, ".") {
					return "limits[0]" + v, true
				}
			}
		}
		return "", false
	}
	var dynamic []string // codes whose field is a variable
	add := func(code, field string, known bool) {
		codes[code] = true
		if known {
			pairs[[2]string{code, field}] = true
		} else {
			dynamic = append(dynamic, code)
		}
	}
	for _, c := range calls {
		name := ""
		switch f := c.Fun.(type) {
		case *ast.Ident:
			name = f.Name
		}
		var ci, fi int
		switch name {
		case "problem", "problemWith":
			ci, fi = 2, 3
		case "refuse":
			ci, fi = 0, 3
		default:
			continue
		}
		if len(c.Args) <= fi {
			continue
		}
		code, ok := str(c.Args[ci])
		if !ok {
			continue // the case loop's own code, passed on: counted at its source
		}
		field, known := str(c.Args[fi])
		add(code, field, known)
	}
	for _, l := range lits {
		var code, field string
		var hasCode, known bool
		for _, e := range l.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			k, _ := kv.Key.(*ast.Ident)
			if k == nil {
				continue
			}
			switch k.Name {
			case "Code":
				code, hasCode = str(kv.Value)
			case "Field":
				field, known = str(kv.Value)
			}
		}
		if hasCode && code != "" {
			add(code, field, known || field == "")
		}
	}
	// A variable field: any of the route table's parameters and body fields.
	var fields []string
	seen := map[string]bool{}
	for _, r := range routeFields(t) {
		if !seen[r] {
			seen[r] = true
			fields = append(fields, r)
		}
	}
	for _, code := range dynamic {
		for _, f := range fields {
			pairs[[2]string{code, f}] = true
		}
	}
	return pairs, codes
}

// routeFields are the query parameters and JSON body fields the route
// table documents.
func routeFields(t *testing.T) []string {
	t.Helper()
	s, _ := server(t)
	_, body, _ := get(t, s.URL+"/api/v1/openapi.json")
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
			RequestBody struct {
				Description string `json:"description"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	word := regexp.MustCompile(`\b[a-z][a-z_]+\b`)
	for _, ops := range doc.Paths {
		for _, op := range ops {
			for _, p := range op.Parameters {
				if p.In == "query" {
					out = append(out, p.Name)
				}
			}
			// "category, description, lon, lat, …": the body's fields,
			// without the values in brackets and the headings before a colon.
			desc := regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(op.RequestBody.Description, "")
			for _, part := range regexp.MustCompile(`[,;]`).Split(desc, -1) {
				if i := strings.LastIndex(part, ":"); i >= 0 {
					part = part[i+1:]
				}
				w := strings.Trim(part, " []{}")
				if word.MatchString(w) && word.FindString(w) == w {
					out = append(out, w)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// Every error a person can meet reads wholly in their language: for each
// code and field the API can answer with, the page's own errText (in
// Chromium, from the real message catalogs) gives Chinese without English
// words, field names or codes, and English without raw field names; and
// neither carries a UTC or ISO timestamp — a time in params is shown in
// Beijing time.
func TestEveryErrorReadsInTheReadersLanguage(t *testing.T) {
	pairs, codes := errorSources(t)
	if len(codes) < 15 || len(pairs) < 100 {
		t.Fatalf("only %d codes and %d code-field pairs found in the code", len(codes), len(pairs))
	}
	var list [][2]string
	for p := range pairs {
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool { return list[i][0]+list[i][1] < list[j][0]+list[j][1] })
	// Every code has a sentence of its own in both catalogs.
	for _, lang := range []string{"zh-CN", "en"} {
		b, err := os.ReadFile(filepath.Join("ui", "i18n", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var cat map[string]string
		if err := json.Unmarshal(b, &cat); err != nil {
			t.Fatal(err)
		}
		for code := range codes {
			if cat["err.code."+code] == "" && cat["err."+code] == "" {
				t.Errorf("%s: no message for the code %q (err.code.%s)", lang, code, code)
			}
		}
	}
	bctx := browser(t)
	s, _ := server(t)
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	in, _ := json.Marshal(list)
	// A time among the params, as the server sends it.
	const at = "2026-11-20T06:30:00Z"
	// Words allowed in the Chinese text: names that are written so.
	allowed := regexp.MustCompile(`Open311|CSV|Excel|JSON|API|ID|WebP|JPEG|PNG|GeoJSON|HTTP|MB|KB|URL|https?`)
	iso := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d|\bUTC\b|\d\d:\d\dZ`)
	for _, lang := range []string{"zh-CN", "en"} {
		p.do("open the app in "+lang, chromedp.Navigate(s.URL+"/app"), chromedp.WaitVisible(chromedp.CSS("#username")))
		p.eval(`(localStorage.setItem('lang', '` + lang + `'), 'ok')`)
		p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#username")))
		// Each problem twice: with particulars (a time among them), and
		// without any.
		var texts [][3]string
		raw := p.eval(`import('/ui/lib.js').then(async m => { await m.loadMessages(); return JSON.stringify(` + string(in) +
			`.flatMap(([code, field]) => [{ deadline: '` + at + `', at: '` + at + `', from: '` + at + `', n: 3, max: 2 }, undefined].map(params =>
				[code, field, m.errText(new m.ApiError(422, { code, field, detail: 'English detail ` + at + `', params }))]))) })`)
		if err := json.Unmarshal([]byte(raw), &texts); err != nil {
			t.Fatalf("%s: %v: %.300s", lang, err, raw)
		}
		// A time is told in Beijing time: 06:30 UTC is 14:30.
		timed := 0
		for _, x := range texts {
			if regexp.MustCompile(`14:30|2:30\sPM`).MatchString(x[2]) {
				timed++
			}
			if regexp.MustCompile(`06:30|6:30\sAM`).MatchString(x[2]) {
				t.Errorf("%s %s/%s: a time in UTC: %q", lang, x[0], x[1], x[2])
			}
		}
		if timed < 3 {
			t.Errorf("%s: only %d messages name the time they were given", lang, timed)
		}
		// A real refusal a dispatcher can meet: a search text too long.
		code, body, _ := get(t, s.URL+"/api/v1/cases?q="+strings.Repeat("垃", 101))
		text := p.eval(`import('/ui/lib.js').then(m => m.errText(new m.ApiError(` + strconv.Itoa(code) + `, ` + body + `)))`)
		if want := map[string]string{"zh-CN": "搜索内容最多 100 个字", "en": "search: at most 100 characters"}[lang]; !strings.Contains(text, want) {
			t.Errorf("%s: a search too long reads %q, want %q", lang, text, want)
		}
		bad := 0
		for _, x := range texts {
			code, field, text := x[0], x[1], x[2]
			var why string
			switch {
			case iso.MatchString(text):
				why = "a UTC timestamp"
			case strings.Contains(text, "English detail"):
				why = "the server's English detail"
			case strings.Contains(text, "_") || strings.Contains(text, "{"):
				why = "a raw name or placeholder"
			case lang == "zh-CN" && regexp.MustCompile(`[A-Za-z]{2,}`).MatchString(allowed.ReplaceAllString(text, "")):
				why = "English words"
			case lang == "en" && regexp.MustCompile(`[\p{Han}]`).MatchString(text):
				why = "Chinese in the English text"
			}
			if why != "" {
				bad++
				if bad <= 400 {
					t.Errorf("%s %s/%s: %s: %q", lang, code, field, why, text)
				}
			}
		}
		if bad > 400 {
			t.Errorf("%s: %d more", lang, bad-400)
		}
		t.Logf("%s: %d errors read, %d with faults", lang, len(texts), bad)
	}
}
