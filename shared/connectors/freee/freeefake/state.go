package freeefake

import (
	"encoding/json"
	"fmt"
	"io"
)

// state is what SaveState writes: everything a restart would otherwise
// lose (companies, deals, live tokens and codes).
type state struct {
	Companies []Company          `json:"companies"`
	Deals     []Deal             `json:"deals"`
	NextID    int64              `json:"nextId"`
	Access    map[string]tokenAt `json:"access"`
	Refresh   map[string]int64   `json:"refresh"`
	Codes     map[string]codeAt  `json:"codes"`
}

type tokenAt struct {
	Company int64 `json:"company"`
	Expired bool  `json:"expired"`
}

type codeAt struct {
	Company     int64  `json:"company"`
	RedirectURI string `json:"redirectUri"`
}

// SaveState writes the fake's state (make run keeps it beside its data, so
// an integration connected to the fake survives a restart). It holds live
// tokens of the fake: keep it private.
func (f *Fake) SaveState(w io.Writer) error {
	f.mu.Lock()
	st := state{NextID: f.nextID, Access: map[string]tokenAt{}, Refresh: f.refresh, Codes: map[string]codeAt{}}
	for _, c := range f.companies {
		st.Companies = append(st.Companies, *c)
	}
	for _, d := range f.deals {
		st.Deals = append(st.Deals, copyDeal(d))
	}
	for k, v := range f.access {
		st.Access[k] = tokenAt{v.company, v.expired}
	}
	for k, v := range f.codes {
		st.Codes[k] = codeAt{v.company, v.redirectURI}
	}
	b, err := json.Marshal(st)
	f.mu.Unlock()
	if err != nil {
		return fmt.Errorf("freeefake: encode state: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// LoadState replaces the fake's state with one SaveState wrote.
func (f *Fake) LoadState(r io.Reader) error {
	var st state
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("freeefake: read state: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.companies = map[int64]*Company{}
	for _, c := range st.Companies {
		f.companies[c.ID] = &c
	}
	f.deals = nil
	for _, d := range st.Deals {
		f.deals = append(f.deals, &d)
	}
	f.nextID = max(st.NextID, f.nextID)
	f.access, f.refresh, f.codes = map[string]accessToken{}, map[string]int64{}, map[string]grantCode{}
	for k, v := range st.Access {
		f.access[k] = accessToken{company: v.Company, expired: v.Expired}
	}
	for k, v := range st.Refresh {
		f.refresh[k] = v
	}
	for k, v := range st.Codes {
		f.codes[k] = grantCode{company: v.Company, redirectURI: v.RedirectURI}
	}
	return nil
}
