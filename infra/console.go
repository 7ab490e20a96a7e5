package main

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The merchant console (issue 12) in AWS: its built files (`make console`,
// console/dist) in a private bucket, served by a CloudFront distribution
// that also sends the API's paths to the HTTP API, so that the console and
// the API are one origin: the refresh cookie is host-only and
// SameSite=Strict, and only reaches /auth/refresh if the page and the API
// share a host (docs/operations.md, Console hosting).

const (
	// consoleCSP is the console's Content-Security-Policy: nothing inline,
	// nothing from another origin. The same string as console.CSP (the
	// local server's), which console_test.go holds it to.
	consoleCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; " +
		"base-uri 'none'; form-action 'self'"

	// Cache-Control of the console's files: index.html is revalidated on
	// every load (it names the current bundles); the bundles under assets/
	// carry a content hash in their names, so they never change.
	consoleIndexCacheControl  = "no-cache"
	consoleAssetsCacheControl = "public, max-age=31536000, immutable"

	// hstsSeconds: two years, the HSTS preload list's recommendation.
	hstsSeconds = 2 * 365 * 24 * 3600
)

// originVerifyHeader carries the origin-verify secret from CloudFront to
// the API (graph.OriginVerifyHeader).
const originVerifyHeader = "Renkei-Origin-Verify"

// consoleAPIPaths are the path patterns CloudFront sends to the HTTP API
// rather than to the bucket: the GraphQL endpoint, the cookie auth endpoint
// and the providers' webhooks.
var consoleAPIPaths = []string{"/graphql", "/auth/*", "/webhooks/*"}

// consoleRouting is the CloudFront Function (viewer request, default
// behaviour only) that answers every console route (/closes,
// /integrations/int_…) with index.html, so the single-page app routes it.
// Files are served as they are: anything under /assets/ and a top-level
// name with an extension (/index.html, /favicon.ico). Doing it here rather
// than turning S3's 403/404 into index.html keeps real errors errors: a
// missing bundle is not answered with HTML, and the API's paths, which
// have behaviours of their own, never reach this function.
const consoleRouting = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.startsWith('/assets/') || /^\/[^\/]+\.[A-Za-z0-9]+$/.test(uri)) {
    return request;
  }
  request.uri = '/index.html';
  return request;
}
`

// consoleViewerHost is the CloudFront Function (viewer request, the API's
// behaviours) that names the host the browser asked for (the
// distribution's) in Renkei-Viewer-Host (stack.ViewerHostHeader): the API,
// reached under its own host name, takes an https Origin of that host as
// its own for the cookie sessions. Whatever a client sent in that header is
// replaced.
//
// It also names the viewer's address in Renkei-Viewer-Address: the API
// counts its per-address limits (failed log-ins, public calls) by it, and
// trusts it only beside the origin-verify secret CloudFront adds as an
// origin custom header (Renkei-Origin-Verify), which a client calling the
// API directly does not have.
const consoleViewerHost = `function handler(event) {
  var request = event.request;
  request.headers['renkei-viewer-host'] = { value: request.headers.host.value };
  request.headers['renkei-viewer-address'] = { value: event.viewer.ip };
  return request;
}
`

// consoleHosting is what newConsole builds.
type consoleHosting struct {
	bucket       awss3.Bucket
	distribution awscloudfront.Distribution
}

// origin is the console's browser origin (https://<distribution domain>).
func (c consoleHosting) origin() string {
	return "https://" + *c.distribution.DistributionDomainName()
}

// newConsole puts the built console (distDir: index.html and assets/) in a
// private bucket and serves it, and api's paths (consoleAPIPaths), through
// one CloudFront distribution.
func newConsole(scope constructs.Construct, distDir string, api awsapigatewayv2.IHttpApi, originVerify awssecretsmanager.ISecret) consoleHosting {
	bucket := awss3.NewBucket(scope, jsii.String("ConsoleBucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		// Only build output, rebuilt by `make console`: nothing to version.
		// Retained like the stack's other stateful resources, for a simpler
		// reason: a bucket with objects cannot be deleted by CloudFormation,
		// so a stack delete leaves it to be emptied and deleted by hand
		// (docs/operations.md) rather than failing.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	headers := awscloudfront.NewResponseHeadersPolicy(scope, jsii.String("ConsoleHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("renkei console: CSP without inline code, HSTS, nosniff, no framing"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(consoleCSP), Override: jsii.Bool(true),
			},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Seconds(jsii.Number(hstsSeconds)),
				IncludeSubdomains:   jsii.Bool(true),
				Override:            jsii.Bool(true),
			},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions: &awscloudfront.ResponseHeadersFrameOptions{
				FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true),
			},
			ReferrerPolicy: &awscloudfront.ResponseHeadersReferrerPolicy{
				ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN, Override: jsii.Bool(true),
			},
		},
	})

	routing := awscloudfront.NewFunction(scope, jsii.String("ConsoleRouting"), &awscloudfront.FunctionProps{
		Comment: jsii.String("renkei console: console routes answered with index.html"),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(consoleRouting)),
	})

	viewerHost := awscloudfront.NewFunction(scope, jsii.String("ConsoleViewerHost"), &awscloudfront.FunctionProps{
		Comment: jsii.String("renkei console: the viewer's host for the API's cookie-session origin check"),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(consoleViewerHost)),
	})

	// The API's $default stage is at the root of its endpoint
	// (https://<id>.execute-api.<region>.amazonaws.com): the origin is its host.
	apiDomain := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), api.ApiEndpoint(), nil))
	// The origin-verify secret goes to the API as a custom header: the
	// template holds a dynamic reference to it, resolved by CloudFormation
	// at deploy, never its value.
	apiOrigin := awscloudfrontorigins.NewHttpOrigin(apiDomain, &awscloudfrontorigins.HttpOriginProps{
		ProtocolPolicy:     awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
		OriginSslProtocols: &[]awscloudfront.OriginSslPolicy{awscloudfront.OriginSslPolicy_TLS_V1_2},
		CustomHeaders: &map[string]*string{
			originVerifyHeader: originVerify.SecretValue().UnsafeUnwrap(),
		},
	})
	// Never cached, every method, every viewer header, cookie and query
	// string but Host (API Gateway answers only to its own host name).
	apiBehavior := &awscloudfront.BehaviorOptions{
		Origin:                apiOrigin,
		ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
		AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_ALL(),
		CachePolicy:           awscloudfront.CachePolicy_CACHING_DISABLED(),
		OriginRequestPolicy:   awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
		ResponseHeadersPolicy: headers,
		Compress:              jsii.Bool(false),
		FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
			Function: viewerHost, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
		}},
	}
	additional := map[string]*awscloudfront.BehaviorOptions{}
	for _, p := range consoleAPIPaths {
		additional[p] = apiBehavior
	}

	distribution := awscloudfront.NewDistribution(scope, jsii.String("Console"), &awscloudfront.DistributionProps{
		Comment: jsii.String("renkei merchant console and its API"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			// Origin Access Control: only this distribution may read the
			// bucket (a bucket policy conditioned on its ARN).
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, nil),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			Compress:              jsii.Bool(true),
			ResponseHeadersPolicy: headers,
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
				Function: routing, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
			}},
		},
		AdditionalBehaviors: &additional,
		DefaultRootObject:   jsii.String("index.html"),
		HttpVersion:         awscloudfront.HttpVersion_HTTP2_AND_3,
		// North America, Europe and Asia including Japan, where the
		// merchants are.
		PriceClass: awscloudfront.PriceClass_PRICE_CLASS_200,
	})

	deployConsole(scope, distDir, bucket)
	return consoleHosting{bucket: bucket, distribution: distribution}
}

// deployConsole uploads distDir to the bucket in two deployments, one per
// Cache-Control: assets/ (hashed, immutable) first, then index.html and
// any other top-level file (no-cache), so a new index.html never names a
// bundle that is not there yet. Each prunes only its own files: the assets
// deployment owns the assets/ prefix, the index deployment excludes it.
// The local server's precompressed .gz twins and dist's .keep stay out
// (CloudFront compresses).
func deployConsole(scope constructs.Construct, distDir string, bucket awss3.IBucket) {
	// The deployment handler's log, kept like the functions' (no LogRetention
	// custom resource).
	logs := awslogs.NewLogGroup(scope, jsii.String("ConsoleDeploymentLogs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH,
	})
	skip := jsii.Strings(".keep", "*.gz")
	assets := awss3deployment.NewBucketDeployment(scope, jsii.String("ConsoleAssets"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket:    bucket,
		DestinationKeyPrefix: jsii.String("assets/"),
		Sources: &[]awss3deployment.ISource{
			awss3deployment.Source_Asset(jsii.String(filepath.Join(distDir, "assets")), &awss3assets.AssetOptions{Exclude: skip}),
		},
		Exclude:      skip,
		Prune:        jsii.Bool(true),
		CacheControl: &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String(consoleAssetsCacheControl))},
		LogGroup:     logs,
	})
	index := awss3deployment.NewBucketDeployment(scope, jsii.String("ConsoleIndex"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: bucket,
		Sources: &[]awss3deployment.ISource{
			awss3deployment.Source_Asset(jsii.String(distDir), &awss3assets.AssetOptions{
				Exclude: jsii.Strings(".keep", "*.gz", "assets"),
			}),
		},
		// Not uploaded, and not pruned: the assets deployment's files.
		Exclude:      jsii.Strings(".keep", "*.gz", "assets/*"),
		Prune:        jsii.Bool(true),
		CacheControl: &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String(consoleIndexCacheControl))},
		LogGroup:     logs,
	})
	index.Node().AddDependency(assets)
}
