package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The merchant console's hosting (console.go) and the API's CORS (cors.go).
// Same pattern as stack_test.go: small checks (consoleChecks), each proved
// able to fail by a broken copy of the template
// (TestConsoleChecksDetectDefects).

// CloudFront's managed policies (their ids are fixed by AWS).
const (
	cachingDisabledID           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerExceptHostHeaderID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// testConsoleDir is a stand-in for console/dist (a built console need not
// exist for the tests): index.html, hashed bundles under assets/, and the
// files the deployments must leave out.
func testConsoleDir() (string, error) {
	dir, err := os.MkdirTemp("", "renkei-infra-console-")
	if err != nil {
		return "", err
	}
	files := map[string]string{
		"index.html":                 `<!doctype html><script type="module" src="/assets/main-TEST1234.js"></script>`,
		"assets/main-TEST1234.js":    "console.log('renkei')\n",
		"assets/main-TEST1234.css":   "body{}\n",
		"assets/main-TEST1234.js.gz": "gz",
		".keep":                      "keeps the folder\n",
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// only is the one resource of a type, by logical id.
// functionWithCode is the CloudFront Function whose code is code.
func functionWithCode(tmpl obj, code string) (string, obj) {
	for id, fn := range resourcesOf(tmpl, "AWS::CloudFront::Function") {
		if c, _ := fn["Properties"].(obj)["FunctionCode"].(string); c == code {
			return id, fn
		}
	}
	fail("no CloudFront Function with the expected code")
	return "", nil
}

func only(tmpl obj, typ string) (string, obj) {
	found := resourcesOf(tmpl, typ)
	if len(found) != 1 {
		fail("%d %s resources, want 1", len(found), typ)
	}
	for id, r := range found {
		return id, r
	}
	return "", nil
}

// distributionConfig is the console distribution's DistributionConfig and
// logical id.
func distributionConfig(tmpl obj) (string, obj) {
	id, r := only(tmpl, "AWS::CloudFront::Distribution")
	return id, r["Properties"].(obj)["DistributionConfig"].(obj)
}

// behaviors are the distribution's cache behaviours by path pattern, the
// default one under "".
func behaviors(config obj) map[string]obj {
	out := map[string]obj{"": config["DefaultCacheBehavior"].(obj)}
	for _, b := range listOf(config["CacheBehaviors"]) {
		b := b.(obj)
		out[b["PathPattern"].(string)] = b
	}
	return out
}

// originOf is the distribution origin a behaviour targets.
func originOf(config, behavior obj) obj {
	for _, o := range listOf(config["Origins"]) {
		if o := o.(obj); o["Id"] == behavior["TargetOriginId"] {
			return o
		}
	}
	fail("no origin %v", behavior["TargetOriginId"])
	return nil
}

// sdkCall decodes a Custom::AWS call (a JSON string joined with tokens),
// writing each token as ${Ref} or ${LogicalId.Attribute}.
func sdkCall(v interface{}) obj {
	var b strings.Builder
	switch v := v.(type) {
	case string:
		b.WriteString(v)
	case obj:
		join, _ := v["Fn::Join"].(arr)
		if len(join) != 2 {
			fail("not a joined SDK call: %s", mustJSON(v))
		}
		for _, part := range join[1].(arr) {
			switch p := part.(type) {
			case string:
				b.WriteString(p)
			case obj:
				if r, ok := p["Ref"].(string); ok {
					b.WriteString("${" + r + "}")
				} else if a, ok := p["Fn::GetAtt"].(arr); ok && len(a) == 2 {
					b.WriteString(fmt.Sprintf("${%v.%v}", a[0], a[1]))
				} else {
					fail("unexpected token in an SDK call: %s", mustJSON(p))
				}
			}
		}
	default:
		fail("no SDK call")
	}
	var call obj
	if err := json.Unmarshal([]byte(b.String()), &call); err != nil {
		fail("SDK call %q: %v", b.String(), err)
	}
	return call
}

// apiCorsCalls are ApiCors's create and update calls.
func apiCorsCalls(tmpl obj) []obj {
	_, r := byConstructID(tmpl, "ApiCors")
	p := r["Properties"].(obj)
	return []obj{sdkCall(p["Create"]), sdkCall(p["Update"])}
}

// cspDirectives parses a Content-Security-Policy into its directives.
func cspDirectives(csp string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[strings.ToLower(f[0])] = f[1:]
		}
	}
	return out
}

var consoleChecks = []struct {
	name  string
	check func(t assertions.Template)
}{
	{"console bucket private, TLS-only, encrypted", func(t assertions.Template) {
		tmpl := templateJSON(t)
		id, bucket := only(tmpl, "AWS::S3::Bucket")
		p := bucket["Properties"].(obj)
		block := obj{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}
		if mustJSON(p["PublicAccessBlockConfiguration"]) != mustJSON(block) {
			fail("console bucket public access block %s, want %s", mustJSON(p["PublicAccessBlockConfiguration"]), mustJSON(block))
		}
		if p["WebsiteConfiguration"] != nil || p["AccessControl"] != nil {
			fail("console bucket is a website or has an ACL")
		}
		if !strings.Contains(mustJSON(p["BucketEncryption"]), `"SSEAlgorithm":"AES256"`) {
			fail("console bucket encryption %s, want S3-managed (AES256)", mustJSON(p["BucketEncryption"]))
		}
		if bucket["DeletionPolicy"] != "Retain" {
			fail("console bucket DeletionPolicy %v, want Retain (CloudFormation cannot delete a bucket with objects)", bucket["DeletionPolicy"])
		}
		var tlsOnly bool
		for _, r := range resourcesOf(tmpl, "AWS::S3::BucketPolicy") {
			rp := r["Properties"].(obj)
			if mustJSON(rp["Bucket"]) != mustJSON(ref(id)) {
				continue
			}
			eachStatement(rp, func(s obj) {
				cond := mustJSON(s["Condition"])
				switch {
				case s["Effect"] == "Deny" && s["Action"] == "s3:*" && cond == mustJSON(obj{"Bool": obj{"aws:SecureTransport": "false"}}):
					tlsOnly = true
				case s["Effect"] == "Allow":
					// Only CloudFront, only reads, only for this stack's distribution.
					principal := mustJSON(s["Principal"])
					if principal != mustJSON(obj{"Service": "cloudfront.amazonaws.com"}) || s["Action"] != "s3:GetObject" ||
						!strings.Contains(cond, `"AWS:SourceArn"`) || !strings.Contains(cond, ":distribution/") {
						fail("console bucket policy allows %s %v with %s", principal, s["Action"], cond)
					}
				}
			})
		}
		if !tlsOnly {
			fail("console bucket policy does not deny requests without TLS")
		}
	}},
	{"console distribution: the bucket through OAC, HTTPS only", func(t assertions.Template) {
		tmpl := templateJSON(t)
		_, config := distributionConfig(tmpl)
		all := behaviors(config)
		def := all[""]
		s3 := originOf(config, def)
		oac, _ := s3["OriginAccessControlId"].(obj)
		oacID := getAttTarget(oac)
		if oacID == "" || mustJSON(s3["S3OriginConfig"]) != mustJSON(obj{"OriginAccessIdentity": ""}) {
			fail("console origin %s: want Origin Access Control and no origin access identity", mustJSON(s3))
		}
		r, _ := tmpl["Resources"].(obj)[oacID].(obj)
		oc, _ := r["Properties"].(obj)["OriginAccessControlConfig"].(obj)
		if oc["SigningBehavior"] != "always" || oc["SigningProtocol"] != "sigv4" || oc["OriginAccessControlOriginType"] != "s3" {
			fail("origin access control %s: want s3, sigv4, always", mustJSON(oc))
		}
		if def["ViewerProtocolPolicy"] != "redirect-to-https" {
			fail("console default behaviour %v, want redirect-to-https", def["ViewerProtocolPolicy"])
		}
		for path, b := range all {
			if v := b["ViewerProtocolPolicy"]; v != "redirect-to-https" && v != "https-only" {
				fail("behaviour %q allows plain HTTP (%v)", path, v)
			}
		}
		if config["HttpVersion"] != "http2and3" || config["DefaultRootObject"] != "index.html" || def["Compress"] != true {
			fail("console distribution: HttpVersion %v, DefaultRootObject %v, Compress %v; want http2and3, index.html, true",
				config["HttpVersion"], config["DefaultRootObject"], def["Compress"])
		}
	}},
	{"console routes answered with index.html by a viewer-request function", func(t assertions.Template) {
		tmpl := templateJSON(t)
		_, config := distributionConfig(tmpl)
		fnID, fn := functionWithCode(tmpl, consoleRouting)
		want := mustJSON(arr{obj{"EventType": "viewer-request", "FunctionARN": obj{"Fn::GetAtt": arr{fnID, "FunctionARN"}}}})
		if got := mustJSON(behaviors(config)[""]["FunctionAssociations"]); got != want {
			fail("console default behaviour's functions %s, want %s", got, want)
		}
		if code, _ := fn["Properties"].(obj)["FunctionCode"].(string); code != consoleRouting {
			fail("the console routing function's code is not consoleRouting (TestConsoleRouting runs that)")
		}
		// The fallback is the function's: S3's errors stay errors.
		if config["CustomErrorResponses"] != nil {
			fail("console distribution rewrites errors: %s", mustJSON(config["CustomErrorResponses"]))
		}
	}},
	{"console CSP: no inline code or eval, scripts from self; security headers", func(t assertions.Template) {
		tmpl := templateJSON(t)
		id, r := only(tmpl, "AWS::CloudFront::ResponseHeadersPolicy")
		sec := r["Properties"].(obj)["ResponseHeadersPolicyConfig"].(obj)["SecurityHeadersConfig"].(obj)
		csp, _ := sec["ContentSecurityPolicy"].(obj)["ContentSecurityPolicy"].(string)
		d := cspDirectives(csp)
		for name, sources := range d {
			for _, s := range sources {
				if ls := strings.ToLower(s); ls == "'unsafe-inline'" || ls == "'unsafe-eval'" || ls == "'unsafe-hashes'" || ls == "*" ||
					ls == "'wasm-unsafe-eval'" || (strings.HasSuffix(name, "-src") && name != "img-src" && ls == "data:") {
					fail("CSP %s allows %s", name, s)
				}
			}
		}
		for name, want := range map[string]string{
			"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "connect-src": "'self'",
			"object-src": "'none'", "frame-ancestors": "'none'", "base-uri": "'none'", "form-action": "'self'",
		} {
			if got := strings.Join(d[name], " "); got != want {
				fail("CSP %s %q, want %q", name, got, want)
			}
		}
		if sec["ContentSecurityPolicy"].(obj)["Override"] != true {
			fail("the CSP does not override the origin's")
		}
		hsts, _ := sec["StrictTransportSecurity"].(obj)
		if age, _ := hsts["AccessControlMaxAgeSec"].(float64); age < 365*24*3600 {
			fail("HSTS max-age %v, want at least a year", hsts["AccessControlMaxAgeSec"])
		}
		if mustJSON(sec["ContentTypeOptions"]) != mustJSON(obj{"Override": true}) {
			fail("no X-Content-Type-Options: nosniff")
		}
		if f, _ := sec["FrameOptions"].(obj); f["FrameOption"] != "DENY" {
			fail("X-Frame-Options %v, want DENY", f["FrameOption"])
		}
		if rp, _ := sec["ReferrerPolicy"].(obj); rp["ReferrerPolicy"] != "strict-origin-when-cross-origin" && rp["ReferrerPolicy"] != "no-referrer" {
			fail("Referrer-Policy %v", rp["ReferrerPolicy"])
		}
		_, config := distributionConfig(tmpl)
		for path, b := range behaviors(config) {
			if mustJSON(b["ResponseHeadersPolicyId"]) != mustJSON(ref(id)) {
				fail("behaviour %q does not send the console's security headers", path)
			}
		}
	}},
	{"console distribution sends /graphql, /auth/* and /webhooks/* to the API, uncached", func(t assertions.Template) {
		_, config := distributionConfig(templateJSON(t))
		all := behaviors(config)
		api := mustJSON(obj{"Fn::Select": arr{2, obj{"Fn::Split": arr{"/", obj{"Fn::GetAtt": arr{ids.httpApi, "ApiEndpoint"}}}}}})
		for _, path := range []string{"/graphql", "/auth/*", "/webhooks/*"} {
			b, ok := all[path]
			if !ok {
				fail("no behaviour for %s", path)
			}
			o := originOf(config, b)
			if mustJSON(o["DomainName"]) != api {
				fail("%s goes to %s, want the HTTP API's host", path, mustJSON(o["DomainName"]))
			}
			if c, _ := o["CustomOriginConfig"].(obj); c["OriginProtocolPolicy"] != "https-only" {
				fail("%s: the API origin is reached over %v, want https-only", path, c["OriginProtocolPolicy"])
			}
			if b["CachePolicyId"] != cachingDisabledID || b["OriginRequestPolicyId"] != allViewerExceptHostHeaderID {
				fail("%s: cache policy %v, origin request policy %v; want CachingDisabled, AllViewerExceptHostHeader",
					path, b["CachePolicyId"], b["OriginRequestPolicyId"])
			}
			if !contains(stringsOf(b["AllowedMethods"]), "POST") {
				fail("%s does not allow POST", path)
			}
		}
	}},
	{"console API origin proves itself with the origin-verify secret, by reference", func(t assertions.Template) {
		tmpl := templateJSON(t)
		_, config := distributionConfig(tmpl)
		api := originOf(config, behaviors(config)["/graphql"])
		want := mustJSON(arr{obj{"HeaderName": "Renkei-Origin-Verify", "HeaderValue": obj{"Fn::Join": arr{"", arr{
			"{{resolve:secretsmanager:", ref(ids.originVerify), ":SecretString:::}}"}}}}})
		if got := mustJSON(api["OriginCustomHeaders"]); got != want {
			fail("API origin custom headers %s, want the origin-verify secret as a dynamic reference %s", got, want)
		}
		for _, o := range listOf(config["Origins"]) {
			if o := o.(obj); o["Id"] != api["Id"] && o["OriginCustomHeaders"] != nil {
				fail("origin %v also gets custom headers %s", o["Id"], mustJSON(o["OriginCustomHeaders"]))
			}
		}
		fn := tmpl["Resources"].(obj)[ids.function].(obj)["Properties"].(obj)
		if got := mustJSON(env(fn)["RENKEI_ORIGIN_VERIFY_SECRET_ARN"]); got != mustJSON(ref(ids.originVerify)) {
			fail("api RENKEI_ORIGIN_VERIFY_SECRET_ARN %s, want the secret's ARN", got)
		}
		if !strings.Contains(consoleViewerHost, "request.headers['renkei-viewer-address'] = { value: event.viewer.ip }") {
			fail("the viewer function does not name the viewer's address")
		}
	}},
	{"console API behaviours name the viewer's host in Renkei-Viewer-Host", func(t assertions.Template) {
		tmpl := templateJSON(t)
		_, config := distributionConfig(tmpl)
		fnID, _ := functionWithCode(tmpl, consoleViewerHost)
		want := mustJSON(arr{obj{"EventType": "viewer-request", "FunctionARN": obj{"Fn::GetAtt": arr{fnID, "FunctionARN"}}}})
		for _, path := range consoleAPIPaths {
			if got := mustJSON(behaviors(config)[path]["FunctionAssociations"]); got != want {
				fail("%s: functions %s, want the viewer-host function %s", path, got, want)
			}
		}
		if !strings.Contains(consoleViewerHost, "request.headers['renkei-viewer-host'] = { value: request.headers.host.value }") {
			fail("the viewer-host function does not set renkei-viewer-host from the viewer's Host")
		}
	}},
	{"console files: index.html no-cache, assets immutable, each pruned", func(t assertions.Template) {
		tmpl := templateJSON(t)
		bucket, _ := only(tmpl, "AWS::S3::Bucket")
		var assetsID, indexID string
		for id, r := range resourcesOf(tmpl, "Custom::CDKBucketDeployment") {
			p := r["Properties"].(obj)
			if mustJSON(p["DestinationBucketName"]) != mustJSON(ref(bucket)) || p["Prune"] != true {
				fail("deployment %s: bucket %s, prune %v; want the console bucket, pruned", id, mustJSON(p["DestinationBucketName"]), p["Prune"])
			}
			cache, _ := p["SystemMetadata"].(obj)["cache-control"].(string)
			switch p["DestinationBucketKeyPrefix"] {
			case "assets/":
				if cache != consoleAssetsCacheControl {
					fail("assets/ Cache-Control %q, want %q", cache, consoleAssetsCacheControl)
				}
				assetsID = id
			case nil:
				if cache != "no-cache" {
					fail("index.html Cache-Control %q, want no-cache", cache)
				}
				if !contains(stringsOf(p["Exclude"]), "assets/*") {
					fail("the index deployment would prune assets/ (exclude %v)", p["Exclude"])
				}
				indexID = id
			default:
				fail("unexpected console deployment to %v", p["DestinationBucketKeyPrefix"])
			}
		}
		if assetsID == "" || indexID == "" {
			fail("console deployments: assets %q, index %q", assetsID, indexID)
		}
		index := tmpl["Resources"].(obj)[indexID].(obj)
		if !contains(stringsOf(index["DependsOn"]), assetsID) {
			fail("index.html may be deployed before its bundles")
		}
	}},
	{"IAM: the console deployment may only use S3 on the console bucket and CDK's assets", func(t assertions.Template) {
		tmpl := templateJSON(t)
		bucket, _ := only(tmpl, "AWS::S3::Bucket")
		allowed := map[string]bool{
			mustJSON(arn(bucket)): true,
			mustJSON(obj{"Fn::Join": arr{"", arr{arn(bucket), "/*"}}}): true,
		}
		role := deploymentRole(tmpl)
		sts := roleStatements(t, role)
		if len(sts) == 0 {
			fail("the console deployment's role has no policy")
		}
		for _, s := range sts {
			for _, a := range stringsOf(s["Action"]) {
				if !strings.HasPrefix(a, "s3:") || a == "s3:*" || strings.HasPrefix(a, "s3:PutBucket") || strings.HasPrefix(a, "s3:DeleteBucket") {
					fail("the console deployment may %s", a)
				}
			}
			for _, r := range listOf(s["Resource"]) {
				if j := mustJSON(r); !allowed[j] && !strings.Contains(j, "cdk-hnb659fds-assets-") {
					fail("the console deployment may use %s", j)
				}
			}
		}
	}},
	{"CORS: the configured origins and the console's, never *, set by ApiCors only", func(t assertions.Template) {
		tmpl := templateJSON(t)
		dist, _ := distributionConfig(tmpl)
		want := []string{"https://backoffice.example.com", "http://localhost:5173", "https://${" + dist + ".DomainName}"}
		for _, call := range apiCorsCalls(tmpl) {
			p, _ := call["parameters"].(obj)
			cors, _ := p["CorsConfiguration"].(obj)
			got := stringsOf(cors["AllowOrigins"])
			for _, o := range got {
				if strings.Contains(o, "*") {
					fail("CORS origin %q", o)
				}
			}
			if call["service"] != "ApiGatewayV2" || call["action"] != "UpdateApi" || p["ApiId"] != "${"+ids.httpApi+"}" {
				fail("ApiCors calls %v %v on %v, want ApiGatewayV2 UpdateApi on the HTTP API", call["service"], call["action"], p["ApiId"])
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				fail("CORS origins %v, want %v", got, want)
			}
		}
		// One owner: the API's own resource has none to overwrite it.
		for _, a := range resourcesOf(tmpl, "AWS::ApiGatewayV2::Api") {
			if c := a["Properties"].(obj)["CorsConfiguration"]; c != nil {
				fail("the HTTP API resource has a CORS configuration of its own: %s", mustJSON(c))
			}
		}
	}},
	{"routes POST /auth/refresh and POST /auth/logout", func(t assertions.Template) {
		for _, key := range []string{"POST /auth/refresh", "POST /auth/logout"} {
			props(t, "AWS::ApiGatewayV2::Route", obj{
				"RouteKey": key,
				"Target":   obj{"Fn::Join": arr{"", arr{"integrations/", ref(ids.integration)}}},
			})
		}
	}},
	{"outputs: console", func(t assertions.Template) {
		tmpl := templateJSON(t)
		dist, _ := distributionConfig(tmpl)
		bucket, _ := only(tmpl, "AWS::S3::Bucket")
		t.HasOutput(jsii.String("ConsoleUrl"), like(obj{"Value": obj{"Fn::Join": arr{"", arr{"https://", obj{"Fn::GetAtt": arr{dist, "DomainName"}}}}}}))
		t.HasOutput(jsii.String("BucketName"), like(obj{"Value": ref(bucket)}))
	}},
}

// deploymentRole is the role of the function behind the console's
// deployments (CDK's BucketDeployment handler).
func deploymentRole(tmpl obj) string {
	res := tmpl["Resources"].(obj)
	for _, d := range resourcesOf(tmpl, "Custom::CDKBucketDeployment") {
		fn := getAttTarget(d["Properties"].(obj)["ServiceToken"])
		if f, ok := res[fn].(obj); ok {
			return getAttTarget(f["Properties"].(obj)["Role"])
		}
	}
	fail("no console deployment function")
	return ""
}

func init() {
	checks = append(checks, consoleChecks...) // run by TestStack, found by findCheck
}

// TestConsoleChecksDetectDefects breaks one thing per case in a copy of the
// synthesized template and expects the named check to fail.
func TestConsoleChecksDetectDefects(t *testing.T) {
	ofType := func(typ string, f func(r obj)) func(tmpl obj) {
		return func(tmpl obj) {
			for _, r := range resourcesOf(tmpl, typ) {
				f(r)
			}
		}
	}
	bucket := func(f func(p obj)) func(tmpl obj) {
		return ofType("AWS::S3::Bucket", func(r obj) { f(r["Properties"].(obj)) })
	}
	bucketPolicy := func(f func(s obj)) func(tmpl obj) {
		return ofType("AWS::S3::BucketPolicy", func(r obj) { eachStatement(r["Properties"].(obj), f) })
	}
	distribution := func(f func(config obj)) func(tmpl obj) {
		return func(tmpl obj) { _, c := distributionConfig(tmpl); f(c) }
	}
	behavior := func(path string, f func(b obj)) func(tmpl obj) {
		return distribution(func(c obj) { f(behaviors(c)[path]) })
	}
	security := func(f func(sec obj)) func(tmpl obj) {
		return ofType("AWS::CloudFront::ResponseHeadersPolicy", func(r obj) {
			f(r["Properties"].(obj)["ResponseHeadersPolicyConfig"].(obj)["SecurityHeadersConfig"].(obj))
		})
	}
	csp := func(from, to string) func(tmpl obj) {
		return security(func(sec obj) {
			c := sec["ContentSecurityPolicy"].(obj)
			c["ContentSecurityPolicy"] = strings.Replace(c["ContentSecurityPolicy"].(string), from, to, 1)
		})
	}
	deployment := func(prefix interface{}, f func(r obj)) func(tmpl obj) {
		return ofType("Custom::CDKBucketDeployment", func(r obj) {
			if r["Properties"].(obj)["DestinationBucketKeyPrefix"] == prefix {
				f(r)
			}
		})
	}
	corsCall := func(key, from, to string) func(tmpl obj) {
		return func(tmpl obj) {
			_, r := byConstructID(tmpl, "ApiCors")
			parts := r["Properties"].(obj)[key].(obj)["Fn::Join"].(arr)[1].(arr)
			for i, p := range parts {
				if s, ok := p.(string); ok {
					parts[i] = strings.Replace(s, from, to, 1)
				}
			}
		}
	}
	cases := []templateDefect{
		{"console bucket private, TLS-only, encrypted", bucket(func(p obj) {
			p["PublicAccessBlockConfiguration"].(obj)["BlockPublicPolicy"] = false
		})},
		{"console bucket private, TLS-only, encrypted", bucket(func(p obj) { delete(p, "PublicAccessBlockConfiguration") })},
		{"console bucket private, TLS-only, encrypted", bucket(func(p obj) { delete(p, "BucketEncryption") })},
		{"console bucket private, TLS-only, encrypted", bucket(func(p obj) { p["WebsiteConfiguration"] = obj{"IndexDocument": "index.html"} })},
		{"console bucket private, TLS-only, encrypted", bucketPolicy(func(s obj) {
			if s["Effect"] == "Deny" {
				s["Effect"] = "Allow"
			}
		})},
		{"console bucket private, TLS-only, encrypted", bucketPolicy(func(s obj) {
			if s["Effect"] == "Allow" {
				s["Principal"] = obj{"AWS": "*"}
			}
		})},
		{"console bucket private, TLS-only, encrypted", bucketPolicy(func(s obj) { delete(s, "Condition") })},
		{"console bucket private, TLS-only, encrypted", ofType("AWS::S3::Bucket", func(r obj) { r["DeletionPolicy"] = "Delete" })},
		{"console distribution: the bucket through OAC, HTTPS only", behavior("", func(b obj) { b["ViewerProtocolPolicy"] = "allow-all" })},
		{"console distribution: the bucket through OAC, HTTPS only", behavior("/auth/*", func(b obj) { b["ViewerProtocolPolicy"] = "allow-all" })},
		{"console distribution: the bucket through OAC, HTTPS only", distribution(func(c obj) {
			for _, o := range listOf(c["Origins"]) {
				if o := o.(obj); o["OriginAccessControlId"] != nil {
					delete(o, "OriginAccessControlId")
					o["S3OriginConfig"] = obj{"OriginAccessIdentity": "origin-access-identity/cloudfront/E123"}
				}
			}
		})},
		{"console distribution: the bucket through OAC, HTTPS only", ofType("AWS::CloudFront::OriginAccessControl", func(r obj) {
			r["Properties"].(obj)["OriginAccessControlConfig"].(obj)["SigningBehavior"] = "never"
		})},
		{"console distribution: the bucket through OAC, HTTPS only", distribution(func(c obj) { c["HttpVersion"] = "http1.1" })},
		{"console distribution: the bucket through OAC, HTTPS only", behavior("", func(b obj) { b["Compress"] = false })},
		{"console routes answered with index.html by a viewer-request function", behavior("", func(b obj) { delete(b, "FunctionAssociations") })},
		{"console routes answered with index.html by a viewer-request function", ofType("AWS::CloudFront::Function", func(r obj) {
			r["Properties"].(obj)["FunctionCode"] = "function handler(event) { return event.request; }"
		})},
		{"console routes answered with index.html by a viewer-request function", distribution(func(c obj) {
			c["CustomErrorResponses"] = arr{obj{"ErrorCode": 404, "ResponseCode": 200, "ResponsePagePath": "/index.html"}}
		})},
		{"console CSP: no inline code or eval, scripts from self; security headers", csp("style-src 'self'", "style-src 'self' 'unsafe-inline'")},
		{"console CSP: no inline code or eval, scripts from self; security headers", csp("script-src 'self'", "script-src 'self' https://cdn.example.com")},
		{"console CSP: no inline code or eval, scripts from self; security headers", csp("script-src 'self'", "script-src 'self' 'unsafe-eval'")},
		{"console CSP: no inline code or eval, scripts from self; security headers", csp("frame-ancestors 'none'", "frame-ancestors *")},
		{"console CSP: no inline code or eval, scripts from self; security headers", csp("default-src 'self'; ", "")},
		{"console CSP: no inline code or eval, scripts from self; security headers", security(func(sec obj) { delete(sec, "StrictTransportSecurity") })},
		{"console CSP: no inline code or eval, scripts from self; security headers", security(func(sec obj) { delete(sec, "ContentTypeOptions") })},
		{"console CSP: no inline code or eval, scripts from self; security headers", security(func(sec obj) {
			sec["FrameOptions"].(obj)["FrameOption"] = "SAMEORIGIN"
		})},
		{"console CSP: no inline code or eval, scripts from self; security headers", behavior("", func(b obj) { delete(b, "ResponseHeadersPolicyId") })},
		{"console distribution sends /graphql, /auth/* and /webhooks/* to the API, uncached", behavior("/auth/*", func(b obj) {
			b["CachePolicyId"] = "658327ea-f89d-4fab-a63d-7e88639e58f6" // CachingOptimized
		})},
		{"console distribution sends /graphql, /auth/* and /webhooks/* to the API, uncached", behavior("/graphql", func(b obj) {
			b["OriginRequestPolicyId"] = "216adef6-5c7f-47e4-b989-5492eafa07d3" // AllViewer: sends Host, API Gateway refuses
		})},
		{"console distribution sends /graphql, /auth/* and /webhooks/* to the API, uncached", distribution(func(c obj) {
			var kept arr
			for _, b := range listOf(c["CacheBehaviors"]) {
				if b.(obj)["PathPattern"] != "/graphql" {
					kept = append(kept, b)
				}
			}
			c["CacheBehaviors"] = kept
		})},
		{"console distribution sends /graphql, /auth/* and /webhooks/* to the API, uncached", distribution(func(c obj) {
			behaviors(c)["/auth/*"]["TargetOriginId"] = behaviors(c)[""]["TargetOriginId"]
		})},
		{"console distribution sends /graphql, /auth/* and /webhooks/* to the API, uncached", distribution(func(c obj) {
			for _, o := range listOf(c["Origins"]) {
				if co, ok := o.(obj)["CustomOriginConfig"].(obj); ok {
					co["OriginProtocolPolicy"] = "http-only"
				}
			}
		})},
		{"console API origin proves itself with the origin-verify secret, by reference", distribution(func(c obj) {
			for _, o := range listOf(c["Origins"]) {
				if h, ok := o.(obj)["OriginCustomHeaders"].(arr); ok {
					h[0].(obj)["HeaderValue"] = "a-literal-secret-in-the-template"
				}
			}
		})},
		{"console API origin proves itself with the origin-verify secret, by reference", distribution(func(c obj) {
			for _, o := range listOf(c["Origins"]) {
				delete(o.(obj), "OriginCustomHeaders")
			}
		})},
		{"console API origin proves itself with the origin-verify secret, by reference", distribution(func(c obj) {
			for _, o := range listOf(c["Origins"]) {
				o.(obj)["OriginCustomHeaders"] = arr{obj{"HeaderName": "Renkei-Origin-Verify", "HeaderValue": "x"}}
			}
		})},
		{"console API origin proves itself with the origin-verify secret, by reference", func(tmpl obj) {
			delete(env(tmpl["Resources"].(obj)[ids.function].(obj)["Properties"].(obj)), "RENKEI_ORIGIN_VERIFY_SECRET_ARN")
		}},
		{"console API behaviours name the viewer's host in Renkei-Viewer-Host", behavior("/auth/*", func(b obj) { delete(b, "FunctionAssociations") })},
		{"console API behaviours name the viewer's host in Renkei-Viewer-Host", distribution(func(c obj) {
			behaviors(c)["/graphql"]["FunctionAssociations"] = behaviors(c)[""]["FunctionAssociations"]
		})},
		{"console files: index.html no-cache, assets immutable, each pruned", deployment("assets/", func(r obj) {
			r["Properties"].(obj)["SystemMetadata"] = obj{"cache-control": "no-cache"}
		})},
		{"console files: index.html no-cache, assets immutable, each pruned", deployment(nil, func(r obj) {
			r["Properties"].(obj)["SystemMetadata"] = obj{"cache-control": consoleAssetsCacheControl}
		})},
		{"console files: index.html no-cache, assets immutable, each pruned", deployment(nil, func(r obj) {
			r["Properties"].(obj)["Exclude"] = arr{".keep"}
		})},
		{"console files: index.html no-cache, assets immutable, each pruned", deployment(nil, func(r obj) { delete(r, "DependsOn") })},
		{"console files: index.html no-cache, assets immutable, each pruned", deployment("assets/", func(r obj) {
			r["Properties"].(obj)["Prune"] = false
		})},
		{"IAM: the console deployment may only use S3 on the console bucket and CDK's assets", func(tmpl obj) {
			role := deploymentRole(tmpl)
			for _, r := range resourcesOf(tmpl, "AWS::IAM::Policy") {
				if p := r["Properties"].(obj); mustJSON(p["Roles"]) == mustJSON(arr{ref(role)}) {
					addStatement(p, obj{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": arn(ids.table)})
				}
			}
		}},
		{"IAM: the console deployment may only use S3 on the console bucket and CDK's assets", func(tmpl obj) {
			role := deploymentRole(tmpl)
			for _, r := range resourcesOf(tmpl, "AWS::IAM::Policy") {
				if p := r["Properties"].(obj); mustJSON(p["Roles"]) == mustJSON(arr{ref(role)}) {
					addStatement(p, obj{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
				}
			}
		}},
		{"CORS: the configured origins and the console's, never *, set by ApiCors only", corsCall("Create", `"https://backoffice.example.com"`, `"*"`)},
		{"CORS: the configured origins and the console's, never *, set by ApiCors only", corsCall("Update", `"http://localhost:5173",`, `"http://localhost:5173","https://*.example.com",`)},
		{"CORS: the configured origins and the console's, never *, set by ApiCors only", func(tmpl obj) {
			// The console's origin left out.
			_, r := byConstructID(tmpl, "ApiCors")
			join := r["Properties"].(obj)["Update"].(obj)["Fn::Join"].(arr)
			var kept arr
			for _, p := range join[1].(arr) {
				if o, ok := p.(obj); ok && o["Fn::GetAtt"] != nil {
					continue
				}
				kept = append(kept, p)
			}
			join[1] = kept
		}},
		{"CORS: the configured origins and the console's, never *, set by ApiCors only", corsCall("Create", `"UpdateApi"`, `"GetApi"`)},
		{"CORS: the configured origins and the console's, never *, set by ApiCors only", ofType("AWS::ApiGatewayV2::Api", func(r obj) {
			r["Properties"].(obj)["CorsConfiguration"] = obj{"AllowOrigins": arr{"https://backoffice.example.com"}}
		})},
		{"routes POST /auth/refresh and POST /auth/logout", ofType("AWS::ApiGatewayV2::Route", func(r obj) {
			if p := r["Properties"].(obj); p["RouteKey"] == "POST /auth/logout" {
				p["RouteKey"] = "GET /auth/logout"
			}
		})},
		{"function environment", func(tmpl obj) {
			// Stripe's onboarding returning to the API (no GET route) instead of the console.
			env(tmpl["Resources"].(obj)[ids.function].(obj)["Properties"].(obj))["STRIPE_CONNECT_RETURN_URL"] =
				obj{"Fn::Join": arr{"", arr{obj{"Fn::GetAtt": arr{ids.httpApi, "ApiEndpoint"}}, "/?cardOnboarding=done"}}}
		}},
		{"outputs: console", func(tmpl obj) { delete(tmpl["Outputs"].(obj), "ConsoleUrl") }},
		{"outputs: console", func(tmpl obj) { delete(tmpl["Outputs"].(obj), "BucketName") }},
	}
	expectDefectsCaught(t, cases)
}

// TestConsoleRouting runs the CloudFront Function (cloudfront-js-2.0 is
// ECMAScript; node runs the same code) on the console's routes and files.
func TestConsoleRouting(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is needed (jsii needs it too):", err)
	}
	cases := map[string]string{
		"/":                            "/index.html",
		"/login":                       "/index.html",
		"/closes":                      "/index.html",
		"/integrations/freee/callback": "/index.html",
		"/integrations/int_01J8Z.x":    "/index.html",
		"/settings/":                   "/index.html",
		"/index.html":                  "/index.html",
		"/favicon.ico":                 "/favicon.ico",
		"/assets/main-TEST1234.js":     "/assets/main-TEST1234.js",
		"/assets/chunk-AB12.css":       "/assets/chunk-AB12.css",
		"/assets/missing":              "/assets/missing", // S3's error, not the app
	}
	for uri, want := range cases {
		script := consoleRouting + fmt.Sprintf(
			"\nprocess.stdout.write(handler({request: {method: 'GET', uri: %q, querystring: {}, headers: {}, cookies: {}}}).uri);\n", uri)
		out, err := exec.Command(node, "-e", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", uri, err, out)
		}
		if string(out) != want {
			t.Errorf("%s is served as %s, want %s", uri, out, want)
		}
	}
}

// TestConsoleCSPMatchesTheLocalServer: CloudFront sends the CSP the local
// server (console.CSP, ../console/console.go) sends, so the browser tests
// run the console under the policy it gets in AWS.
func TestConsoleCSPMatchesTheLocalServer(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "console", "console.go"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("no console/console.go")
	}
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?s)const CSP = (.*?)\n\n`).FindSubmatch(src)
	if decl == nil {
		t.Fatal("no `const CSP = ...` in console/console.go")
	}
	var local strings.Builder
	for _, lit := range regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`).FindAllSubmatch(decl[1], -1) {
		local.Write(lit[1])
	}
	if local.String() != consoleCSP {
		t.Errorf("console.CSP is\n%q\nCloudFront sends\n%q", local.String(), consoleCSP)
	}
}

func TestConsoleDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("RENKEI_CONSOLE_DIR", dir)
	if _, err := consoleDir(); err == nil || !strings.Contains(err.Error(), "make console") {
		t.Fatalf("an unbuilt console: %v, want an error saying to run make console", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := consoleDir(); err == nil {
		t.Fatal("a console without assets/ accepted")
	}
	if err := os.Mkdir(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := consoleDir()
	if err != nil || got != dir {
		t.Fatalf("consoleDir() = %q, %v; want %q", got, err, dir)
	}
}
