package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

// The request deadlines (docs/operations.md "Request deadlines"): the api
// function's timeout must leave room, after the application's request
// budget (shared/deadline.Request, 20 s), for a card sale's completion
// (deadline.Grace, 1 s), the main's headroom (functions/api, 2 s) and a
// second to answer; and it must stay below API Gateway's 30 s integration
// limit, or the client sees a gateway 5xx instead of UNAVAILABLE. infra is
// its own module, so the application's figures are repeated here.
const (
	requestBudgetSeconds = 20
	graceSeconds         = 1
	headroomSeconds      = 2
	gatewayLimitSeconds  = 30
)

// apiTimeoutFitsTheBudget asserts the window for the api function (the one
// serving the HTTP API).
func apiTimeoutFitsTheBudget(t assertions.Template) {
	fns := resourcesOf(templateJSON(t), "AWS::Lambda::Function")
	found := false
	for id, r := range fns {
		p, _ := r["Properties"].(obj)
		if d, _ := p["Description"].(string); d != "renkei GraphQL API and Stripe webhooks" {
			continue
		}
		found = true
		timeout, _ := p["Timeout"].(float64)
		if min := float64(requestBudgetSeconds + graceSeconds + headroomSeconds + 1); timeout < min || timeout >= gatewayLimitSeconds {
			panic(fmt.Sprintf("%s: Timeout %v s; the request budget needs %v ≤ Timeout < %d", id, p["Timeout"], min, gatewayLimitSeconds))
		}
	}
	if !found {
		panic("no api function")
	}
}

func TestAPITimeoutFitsTheRequestBudget(t *testing.T) {
	if err := runCheck(apiTimeoutFitsTheBudget, synthesized); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(synthesized.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	for name, timeout := range map[string]any{"the issue's 10 s": 10, "no room for the grace and headroom": 22, "at the gateway's limit": 30, "unset (3 s)": nil} {
		var broken obj
		if err := json.Unmarshal(raw, &broken); err != nil {
			t.Fatal(err)
		}
		for _, r := range resourcesOf(broken, "AWS::Lambda::Function") {
			p := r["Properties"].(obj)
			if p["Description"] == "renkei GraphQL API and Stripe webhooks" {
				if timeout == nil {
					delete(p, "Timeout")
				} else {
					p["Timeout"] = timeout
				}
			}
		}
		if runCheck(apiTimeoutFitsTheBudget, assertions.Template_FromJSON(&broken, nil)) == nil {
			t.Errorf("%s: the check passed", name)
		}
	}
}
