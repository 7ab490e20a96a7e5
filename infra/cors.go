package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The HTTP API's CORS configuration is set by a custom resource (ApiCors,
// an UpdateApi call) after the console's distribution exists, not on the
// API's own template resource: the console's origin is the distribution's
// generated domain, and the distribution's API origin is the API's
// generated domain, so in one template the API and the distribution would
// each refer to the other. ApiCors is the one owner of the configuration.

// corsMaxAge is how long (seconds) a browser may cache a preflight answer.
const corsMaxAge = 3600

// corsConfiguration is the HTTP API's CORS configuration for origins: POST
// only, with the headers the console and the POS apps send.
// Renkei-Session asks the API to keep the refresh token in its cookie.
func corsConfiguration(origins []string) map[string]interface{} {
	return map[string]interface{}{
		"AllowOrigins": origins,
		"AllowMethods": []string{"POST"},
		"AllowHeaders": []string{"Authorization", "Content-Type", "Renkei-Session"},
		"MaxAge":       corsMaxAge,
	}
}

// setAPICors gives api the CORS configuration of origins (never empty:
// the console's is always one) once both exist; deleting it (or the stack)
// removes the configuration.
func setAPICors(scope constructs.Construct, api awsapigatewayv2.IHttpApi, origins []string) customresources.AwsCustomResource {
	stack := awscdk.Stack_Of(scope)
	apiArn := "arn:" + *stack.Partition() + ":apigateway:" + *stack.Region() + "::/apis/" + *api.ApiId()
	update := &customresources.AwsSdkCall{
		Service: jsii.String("ApiGatewayV2"),
		Action:  jsii.String("UpdateApi"),
		Parameters: map[string]interface{}{
			"ApiId":             api.ApiId(),
			"CorsConfiguration": corsConfiguration(origins),
		},
		PhysicalResourceId: customresources.PhysicalResourceId_Of(api.ApiId()),
	}
	remove := &customresources.AwsSdkCall{
		Service:    jsii.String("ApiGatewayV2"),
		Action:     jsii.String("DeleteCorsConfiguration"),
		Parameters: map[string]interface{}{"ApiId": api.ApiId()},
		// A replaced API is already gone.
		IgnoreErrorCodesMatching: jsii.String("NotFoundException"),
	}
	logs := awslogs.NewLogGroup(scope, jsii.String("ApiCorsLogs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH,
	})
	return customresources.NewAwsCustomResource(scope, jsii.String("ApiCors"), &customresources.AwsCustomResourceProps{
		OnCreate: update,
		OnUpdate: update,
		OnDelete: remove,
		// UpdateApi is PATCH /apis/{id}; DeleteCorsConfiguration is
		// DELETE /apis/{id}/cors. Nothing else, on this API only.
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("apigateway:PATCH"),
				Resources: jsii.Strings(apiArn),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("apigateway:DELETE"),
				Resources: jsii.Strings(apiArn + "/cors"),
			}),
		}),
		// The SDK of the Lambda runtime: no npm install at deploy time.
		InstallLatestAwsSdk: jsii.Bool(false),
		LogGroup:            logs,
	})
}
