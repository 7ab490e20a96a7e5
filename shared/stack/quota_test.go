package stack

import "testing"

func TestRatesFromEnv(t *testing.T) {
	for _, c := range []struct {
		env     map[string]string
		want    Rates
		wantErr bool
	}{
		{env: nil, want: Rates{}},
		{env: map[string]string{"RENKEI_TENANT_RATE": "200", "RENKEI_TENANT_BURST": "400"}, want: Rates{Tenant: 200, TenantBurst: 400}},
		{env: map[string]string{"RENKEI_TENANT_LIMIT": "instance"}, want: Rates{PerInstance: true}},
		{env: map[string]string{"RENKEI_TENANT_LIMIT": "shared"}, want: Rates{}},
		{env: map[string]string{"RENKEI_TENANT_LIMIT": "global"}, wantErr: true},
		{env: map[string]string{"RENKEI_TENANT_RATE": "0"}, wantErr: true},
		{env: map[string]string{"RENKEI_TENANT_RATE": "fast"}, wantErr: true},
		{env: map[string]string{"RENKEI_TENANT_BURST": "1000000"}, wantErr: true},
	} {
		got, err := RatesFromEnv(func(k string) string { return c.env[k] })
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("%v: got %+v, %v; want %+v, error %v", c.env, got, err, c.want, c.wantErr)
		}
	}
}
