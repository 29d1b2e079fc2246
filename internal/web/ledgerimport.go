package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/places"
)

// The spreadsheet ledger import on the admin page: the same reading and
// checks as `xiuhua import ledger`, each refused cell answered as a
// problem naming its line, column and field, for a message in the
// reader's language.

// maxLedgerFile bounds an uploaded ledger.
const maxLedgerFile = 64 << 20

// ledgerImports holds the ledger being imported or checked, for the whole
// process: the bulk loader numbers rows itself, and two at once would
// number the same rows.
var ledgerImports = make(chan struct{}, 1)

// importLedger reads a ledger (the body; name=FILE.xlsx or .csv says
// which, map=field=header,… maps other headers); dry_run=true only
// checks it and shows the first rows.
func (s *Server) importLedger(w http.ResponseWriter, r *http.Request, p access.Principal) {
	q := r.URL.Query()
	name := q.Get("name")
	if ext := strings.ToLower(filepath.Ext(name)); ext != ".xlsx" && ext != ".csv" {
		problem(w, http.StatusBadRequest, "invalid", "name", "name the file: a .xlsx or .csv file (save .xls as .xlsx first)")
		return
	}
	m, err := ledger.ParseMapping(q.Get("map"))
	if err != nil {
		problem(w, http.StatusBadRequest, "invalid", "map", err.Error())
		return
	}
	select {
	case ledgerImports <- struct{}{}:
		defer func() { <-ledgerImports }()
	default:
		w.Header().Set("Retry-After", "30")
		problem(w, http.StatusServiceUnavailable, "busy", "", "another ledger is being imported or checked; try again when it is done")
		return
	}
	// Received whole before it is read: a slow upload holds no
	// transaction, and an oversized one is refused before any of it is.
	tmp, err := os.CreateTemp("", "ledger-*"+filepath.Ext(name))
	if err != nil {
		fail(w, r, err)
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, http.MaxBytesReader(w, r.Body, maxLedgerFile)); err != nil {
		problem(w, http.StatusRequestEntityTooLarge, "too_large", "file", fmt.Sprintf("a ledger is at most %d MB", maxLedgerFile>>20))
		return
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		fail(w, r, err)
		return
	}
	commit := q.Get("dry_run") != "true"
	res, err := s.app.ImportLedger(r.Context(), filepath.Base(name), tmp, m, commit)
	var rows places.ImportErrors
	switch {
	case errors.As(err, &rows):
		list := make([]FieldProblem, 0, len(rows))
		for _, e := range rows {
			code, field := e.Code, e.Field
			if code == "" {
				code = "invalid"
			}
			if field == "" {
				field = "file"
			}
			list = append(list, FieldProblem{Code: code, Field: field, Line: e.Line, Column: e.Column, Detail: e.Msg})
		}
		problems(w, http.StatusUnprocessableEntity, list)
		return
	case err != nil && !errors.Is(err, r.Context().Err()):
		// Not a readable table (not .xlsx, merged cells, too many rows).
		problem(w, http.StatusUnprocessableEntity, "invalid", "file", err.Error())
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	if commit {
		_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "ledger_imported", client(r),
			fmt.Sprintf("%s: %d cases", filepath.Base(name), res.Imported))
	}
	writeJSON(w, http.StatusOK, res)
}

// ledgerColumnHelp says what each column of the import takes, for the
// template's second sheet (the file is Chinese, as the ledgers are).
var ledgerColumnHelp = map[ledger.Field]string{
	ledger.FNumber:      "必填。原台账的案件或工单编号，导入后保留",
	ledger.FCategory:    "必填。类别编码（M06011）或目录中的类别名称（积存垃圾渣土）",
	ledger.FDescription: "必填",
	ledger.FAddress:     "",
	ledger.FLon:         "必填。WGS84 经度，如 113.30",
	ledger.FLat:         "必填。WGS84 纬度，如 40.08",
	ledger.FReported:    "必填。2026-03-02 09:30、2026/3/2 9:30 或 Excel 日期",
	ledger.FClosed:      "空着表示未结案",
	ledger.FChannel:     "12345、网格员上报、网站、open311、导入；空着：有诉求类型的是 12345 工单，其余为导入",
	ledger.FRequestType: "咨询、求助、投诉、举报、建议、表扬；有来电人或五要素的工单必填",
	ledger.FUrgency:     "一般、紧急、特急；空着为一般",
	ledger.FCallerName:  "仅工作人员可见，最多 50 字",
	ledger.FCallerPhone: "仅工作人员可见。手机号（13912345678）或带区号的座机（0352-1234567）",
	ledger.FAnonymous:   "是 或 否；匿名的不保留姓名",
	ledger.FCallback:    "是 或 否；同意回访须有来电号码",
	ledger.FWhen:        "五要素之时间，最多 100 字",
	ledger.FWho:         "五要素之人物，最多 100 字",
	ledger.FMatter:      "五要素之事由，最多 100 字",
	ledger.FOutcome:     "派遣、直接答复、转办、不予受理、合并；空着为派遣",
	ledger.FOutcomeNote: "转办的去向，或不予受理的原因",
	ledger.FDuplicateOf: "合并件并入的工单编号（系统中已有，或本文件靠前的行）",
	ledger.FReply:       "答复来电人的内容：直接答复的必填；派遣的须已结案",
	ledger.FSolved:      "是 或 否；空着为是",
	ledger.FUnsolved:    "未解决的原因",
	ledger.FRating:      "回访结果：满意、基本满意、不满意、未接通、拒绝回访",
	ledger.FCallbackAt:  "回访时间；空着为结案时间",
}

// ledgerTemplate is the import's template: the header row a district's
// ledger maps to without a mapping, a column for each category question
// (headed by the question), and, in the .xlsx, a second sheet saying what
// each column takes.
func (s *Server) ledgerTemplate(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	fm := r.URL.Query().Get("format")
	if fm == "" {
		fm = "xlsx"
	}
	if fm != "xlsx" && fm != "csv" {
		problem(w, http.StatusBadRequest, "invalid", "format", "format must be csv or xlsx")
		return
	}
	cats, err := s.app.Store.Categories(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	var header []string
	var help [][]string
	for _, f := range ledger.Fields {
		h := ledger.DefaultHeaders[f][0]
		header = append(header, h)
		help = append(help, []string{h, string(f), ledgerColumnHelp[f]})
	}
	asked := map[string]bool{}
	for _, c := range cats {
		for _, a := range c.Attributes {
			h := a.Question
			if asked[h] {
				continue
			}
			asked[h] = true
			header = append(header, h)
			what := c.Name + "的问题"
			if rt := a.RangeText(); rt != "" {
				what += "，" + rt
			}
			if len(a.Values) > 0 {
				var names []string
				for _, v := range a.Values {
					names = append(names, v.Key+"="+v.Name)
				}
				what += "，填选项名称或代码：" + strings.Join(names, "；")
			}
			help = append(help, []string{h, ledger.AttributePrefix + a.Code, what})
		}
	}
	var b bytes.Buffer
	if fm == "csv" {
		b.WriteString("\ufeff")
		cw := csv.NewWriter(&b)
		cw.Write(header)
		cw.Flush()
	} else {
		f := excelize.NewFile()
		defer f.Close()
		f.SetSheetName(f.GetSheetName(0), "台账")
		f.SetSheetRow("台账", "A1", &header)
		bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
		end, _ := excelize.CoordinatesToCellName(len(header), 1)
		f.SetCellStyle("台账", "A1", end, bold)
		f.NewSheet("填写说明")
		f.SetSheetRow("填写说明", "A1", &[]string{"列名", "字段", "填写"})
		for i, row := range help {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			f.SetSheetRow("填写说明", cell, &row)
		}
		f.SetColWidth("填写说明", "A", "B", 16)
		f.SetColWidth("填写说明", "C", "C", 70)
		if err := f.Write(&b); err != nil {
			fail(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", map[string]string{"csv": "text/csv; charset=utf-8",
		"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[fm])
	w.Header().Set("Content-Disposition", `attachment; filename="ledger-template.`+fm+`"`)
	w.Write(b.Bytes())
}
