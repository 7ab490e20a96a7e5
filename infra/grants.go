package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
)

// grantGetSecretValue allows fn to read the secrets' values and nothing else
// (GrantRead would add DescribeSecret, which the functions never call).
func grantGetSecretValue(fn awslambda.Function, secrets ...awssecretsmanager.ISecret) {
	arns := make([]*string, len(secrets))
	for i, s := range secrets {
		arns[i] = s.SecretArn()
	}
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
		Resources: &arns,
	}))
}
