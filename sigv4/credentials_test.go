package sigv4

import (
	"strings"
	"testing"
)

func TestParseCredentials(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Credentials
	}{
		{"AKIDTEST:s3cr3t", Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t"}},
		{"AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
		{"ASIATEMP:s+e/c=:IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==",
			Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "s+e/c=", SessionToken: "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ=="}},
	} {
		got, err := ParseCredentials(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseCredentials(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{"", "credentials are empty"},
		{"AKIDTEST", "no ':' between the access key ID and the secret access key"},
		{":s3cr3t", "empty access key ID"},
		{"AKIDTEST:", "empty secret access key"},
		{"AKIDTEST:s3cr3t:", "empty session token"},
		{"AKIDTEST:s3:cr:3t", "have 3 ':'"},
		{"AKIDTEST:s3cr3t\n", "a newline at the end"},
		{"AKIDTEST:s3cr3t\r\n", "a carriage return at byte 16 of 17"},
		{" AKIDTEST:s3cr3t", "a space at byte 1 of 16"},
		{"AKIDTEST: s3cr3t", "a space at byte 10"},
		{"AKIDTEST:s3cr3t\t", "a tab at the end"},
		{"AKIDTEST:s3cr3t\x00", "the control character 0x00"},
		{"AKIDTEST:s3cr3t\u00a0", "a non-ASCII byte"},
		{"AKIDTEST:s3cr3t\nAKID2:x", "a newline at byte 16"},
	} {
		_, err := ParseCredentials(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseCredentials(%q): %v, want an error with %q", tc.in, err, tc.msg)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("ParseCredentials(%q): the error quotes the secret: %v", tc.in, err)
		}
	}
}
