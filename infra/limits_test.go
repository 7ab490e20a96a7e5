package main

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// The stage throttle (limits.go): the account's ceiling by default, a
// context value otherwise, never the old shared 100 requests per second.

// stageAtAccountDefault asserts the $default stage's throttle is the
// account's regional HTTP API quota, 10,000 rps with a burst of 5,000.
func stageAtAccountDefault(t assertions.Template) {
	props(t, "AWS::ApiGatewayV2::Stage", obj{
		"StageName": "$default",
		"DefaultRouteSettings": obj{
			"ThrottlingRateLimit":  10000,
			"ThrottlingBurstLimit": 5000,
		},
	})
}

func TestStageThrottle(t *testing.T) {
	t.Run("the account default", func(t *testing.T) {
		if err := runCheck(stageAtAccountDefault, synthesized); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the check fails on a lower or missing throttle", func(t *testing.T) {
		raw, err := json.Marshal(synthesized.ToJSON())
		if err != nil {
			t.Fatal(err)
		}
		for name, mutate := range map[string]func(p obj){
			"the old 100 rps":   func(p obj) { p["DefaultRouteSettings"].(obj)["ThrottlingRateLimit"] = 100 },
			"the old burst":     func(p obj) { p["DefaultRouteSettings"].(obj)["ThrottlingBurstLimit"] = 200 },
			"no throttle":       func(p obj) { delete(p, "DefaultRouteSettings") },
			"rate but no burst": func(p obj) { delete(p["DefaultRouteSettings"].(obj), "ThrottlingBurstLimit") },
		} {
			var broken obj
			if err := json.Unmarshal(raw, &broken); err != nil {
				t.Fatal(err)
			}
			for _, r := range resourcesOf(broken, "AWS::ApiGatewayV2::Stage") {
				mutate(r["Properties"].(obj))
			}
			if runCheck(stageAtAccountDefault, assertions.Template_FromJSON(&broken, nil)) == nil {
				t.Errorf("%s: the check passed", name)
			}
		}
	})
	stackWith := func(context map[string]interface{}) awscdk.Stack {
		app := awscdk.NewApp(&awscdk.AppProps{Context: &context})
		return awscdk.NewStack(app, jsii.String("LimitsTest"), nil)
	}
	t.Run("context values set it", func(t *testing.T) {
		stack := stackWith(map[string]interface{}{"apiRateLimit": "2000", "apiBurstLimit": float64(1000)})
		fn := awslambda.Function_FromFunctionArn(stack, jsii.String("Fn"), jsii.String("arn:aws:lambda:ap-northeast-1:123456789012:function:api"))
		newHttpApi(stack, fn)
		props(assertions.Template_FromStack(stack, nil), "AWS::ApiGatewayV2::Stage", obj{
			"DefaultRouteSettings": obj{"ThrottlingRateLimit": 2000, "ThrottlingBurstLimit": 1000},
		})
	})
	t.Run("malformed values are refused at synth", func(t *testing.T) {
		for _, v := range []interface{}{"fast", "0", float64(-5), float64(2.5), "10000000", true} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("apiRateLimit %v accepted", v)
					}
				}()
				stageThrottle(stackWith(map[string]interface{}{"apiRateLimit": v}))
			}()
		}
	})
}
