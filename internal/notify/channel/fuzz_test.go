package channel

import (
	"strings"
	"testing"
)

// FuzzAnswers feeds any status and body to every adapter's reading of a
// provider's answer: it never panics, succeeds only on the documented
// success, and its error never carries the secret or more than a line.
func FuzzAnswers(f *testing.F) {
	for _, s := range []string{
		`{"errcode":0,"errmsg":"ok"}`, `{"errcode":130101,"errmsg":"send too fast"}`,
		`{"code":0,"msg":"success"}`, `{"StatusCode":0}`, `{"code":19021,"msg":"sign match fail"}`,
		`{"Code":"OK","BizId":"1^2"}`, `{"Code":"SignatureDoesNotMatch","Message":"x server string to sign is:POST&%2F&S3CRET"}`,
		`{"success":true,"rspcod":"success","msgGroup":"1"}`, `{"success":false,"rspcod":"IllegalMac"}`,
		`<html>`, ``, `null`, `{"errcode":null}`,
	} {
		f.Add(200, s)
		f.Add(503, s)
	}
	const secret = "S3CRET"
	d, _ := NewDingTalk(DingTalkConfig{AccessToken: secret, Secret: secret})
	fs, _ := NewFeishu(FeishuConfig{Token: secret, Secret: secret})
	f.Fuzz(func(t *testing.T, status int, body string) {
		a := answer{status: status, body: []byte(body)}
		// encoding/json matches field names in any case.
		low := strings.ToLower(body)
		check := func(name string, err error, ok bool) {
			if err == nil {
				if !ok {
					t.Fatalf("%s: success on %q", name, body)
				}
				return
			}
			e := AsError(err)
			if e == nil {
				t.Fatalf("%s: unclassified %v", name, err)
			}
			if strings.Contains(e.Msg, secret) || len(e.Msg) > 400 {
				t.Fatalf("%s: error message %q", name, e.Msg)
			}
		}
		check("dingtalk", errOrNil(d.classify(a)), strings.Contains(low, `"errcode"`))
		check("wecom", errOrNil(robotErrcode(KindWeCom, a, []string{secret}, func(int, *Error) {})), strings.Contains(low, `"errcode"`))
		check("feishu", errOrNil(fs.classify(a, []string{secret})), strings.Contains(low, "code"))
		rc, err := aliyunAnswer(a, []string{secret})
		check("aliyun", err, strings.Contains(low, `ok`))
		if err == nil && !strings.Contains(body, rc.ProviderID) {
			t.Fatalf("aliyun receipt %q not in %q", rc.ProviderID, body)
		}
		_, err = cmasAnswer(a)
		check("cmas", err, strings.Contains(low, "success"))
	})
}

// errOrNil keeps a nil *Error a nil error.
func errOrNil(e *Error) error {
	if e == nil {
		return nil
	}
	return e
}
