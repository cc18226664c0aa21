// Harness for the Jenkins shared library step vars/vibetesting.groovy (no Jenkins runs here).
//
// Loads the step as Jenkins does (a script whose call(Map) is the step) with the pipeline steps
// stubbed in its binding: sh, withEnv, withCredentials, string, junit, archiveArtifacts,
// unstable, error, readFile, fileExists. `sh` either really runs the script with bash (native
// mode: the real CLI against the emulator on loopback) or returns a given exit code (to reach
// every code, and to check the docker command without Docker). Each case checks the calls, the
// environment the CLI got, that the token is in no script or argument, and the build status
// the exit code produced (SUCCESS, UNSTABLE, FAILURE).
//
// Usage: groovy tests/channels/jenkins/harness.groovy STEP_FILE API_URL TOKEN CLI WORKDIR
// Prints PASS/FAIL per check and a summary; exits 1 if any check failed.
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.customizers.ImportCustomizer

if (args.length != 5) {
    System.err.println('usage: harness.groovy STEP_FILE API_URL TOKEN CLI WORKDIR')
    System.exit(2)
}
String stepFile = args[0]
String apiUrl = args[1]
String token = args[2]
String cli = args[3]
File workRoot = new File(args[4])
String password = 'pw-Jenkins-very-secret-42'
String shopPassword = 'shop-Jenkins-secret-var-77'

class StepError extends RuntimeException {
    StepError(String message) { super(message) }
}

class Build {
    String result = 'SUCCESS'
    List<List> calls = []
    List<Map> shCalls = []
    Map<String, String> credentialsStore = [:]
    Map<String, String> envBase = [:]
    List<Map<String, String>> envStack = []
    File dir
    Integer stubCode = null // null: really run the script with bash
    String output = ''

    Map<String, String> currentEnv() {
        Map<String, String> merged = new LinkedHashMap<String, String>(envBase)
        envStack.each { merged.putAll(it) }
        return merged
    }

    List<String> names() { calls.collect { it[0] as String } }
}

int failures = 0
int passes = 0
def check = { String name, Object ok, String detail = '' ->
    if (ok as boolean) {
        passes++
        println "PASS  ${name}"
    } else {
        failures++
        println "FAIL  ${name}${detail ? ': ' + detail : ''}"
    }
}

// Jenkins imports these annotations into every library script and Jenkinsfile; stand-ins here.
GroovyClassLoader loader = new GroovyClassLoader(this.class.classLoader)
loader.parseClass('''
package com.cloudbees.groovy.cps
import java.lang.annotation.*
@Retention(RetentionPolicy.RUNTIME)
@interface NonCPS {}
''')
loader.parseClass('''
package org.jenkinsci.plugins.workflow.libs
import java.lang.annotation.*
@Retention(RetentionPolicy.SOURCE)
@interface Library { String[] value() }
''')
CompilerConfiguration compiler = new CompilerConfiguration()
compiler.addCompilationCustomizers(new ImportCustomizer().addImports(
    'com.cloudbees.groovy.cps.NonCPS', 'org.jenkinsci.plugins.workflow.libs.Library'))

// runStep(NAME, ARGS, stubCode): a fresh workspace, the step called once; returns [build, result, thrown]
// With JENKINSFILE, that pipeline runs instead (declarative DSL stubbed), its vibetesting(...) the step.
def runStep = { String name, Map stepArgs, Integer stubCode = null, Closure prepare = null, String jenkinsfile = null ->
    Build build = new Build()
    build.dir = new File(workRoot, name)
    build.dir.mkdirs()
    build.stubCode = stubCode
    build.credentialsStore = [
        'vibetesting-api-token': token,
        'vibetesting-login-password': password,
        'shop-test-password': shopPassword,
    ]
    build.envBase = [
        PATH: System.getenv('PATH'),
        HOME: System.getenv('HOME') ?: '/tmp',
        WORKSPACE: build.dir.absolutePath,
        PYTHONPATH: System.getenv('PYTHONPATH') ?: '',
    ]
    if (prepare != null) {
        prepare(build.dir)
    }
    Binding binding = new Binding()
    binding.setVariable('sh', { Map m ->
        build.calls << ['sh', m]
        Map<String, String> environment = build.currentEnv()
        build.shCalls << [script: m.script, env: environment]
        if (build.stubCode != null) {
            return build.stubCode
        }
        ProcessBuilder pb = new ProcessBuilder(['bash', '-c', m.script as String])
        pb.directory(build.dir)
        pb.environment().clear()
        pb.environment().putAll(environment)
        pb.redirectErrorStream(true)
        Process proc = pb.start()
        build.output = proc.inputStream.getText('UTF-8')
        return proc.waitFor()
    })
    binding.setVariable('withEnv', { List<String> pairs, Closure body ->
        build.calls << ['withEnv', pairs]
        Map<String, String> layer = [:]
        pairs.each { String pair ->
            int eq = pair.indexOf('=')
            layer[pair.substring(0, eq)] = pair.substring(eq + 1)
        }
        build.envStack << layer
        try {
            return body()
        } finally {
            build.envStack.remove(build.envStack.size() - 1)
        }
    })
    binding.setVariable('string', { Map m -> [kind: 'string'] + m })
    binding.setVariable('withCredentials', { List bindings, Closure body ->
        build.calls << ['withCredentials', bindings]
        Map<String, String> layer = [:]
        bindings.each { Map b ->
            String secret = build.credentialsStore[b.credentialsId as String]
            if (secret == null) {
                throw new StepError("ERROR: Could not find credentials entry with ID '${b.credentialsId}'")
            }
            layer[b.variable as String] = secret
        }
        build.envStack << layer
        try {
            return body()
        } finally {
            build.envStack.remove(build.envStack.size() - 1)
        }
    })
    binding.setVariable('junit', { Map m -> build.calls << ['junit', m] })
    binding.setVariable('archiveArtifacts', { Map m -> build.calls << ['archiveArtifacts', m] })
    binding.setVariable('unstable', { String message ->
        build.calls << ['unstable', message]
        if (build.result == 'SUCCESS') {
            build.result = 'UNSTABLE'
        }
    })
    binding.setVariable('error', { String message ->
        build.calls << ['error', message]
        throw new StepError(message)
    })
    binding.setVariable('fileExists', { String path -> new File(build.dir, path).isFile() })
    binding.setVariable('readFile', { Map m -> new File(build.dir, m.file as String).getText('UTF-8') })
    GroovyShell shell = new GroovyShell(loader, binding, compiler)
    Script step = shell.parse(new File(stepFile))
    Object result = null
    Throwable thrown = null
    if (jenkinsfile != null) {
        // The declarative DSL, as far as the example uses it: each block just runs its body.
        Closure body = { Object... parts -> parts.find { it instanceof Closure }?.call() }
        ['pipeline', 'options', 'stages', 'steps', 'script', 'post', 'always', 'parameters'].each { binding.setVariable(it, body) }
        binding.setVariable('params', [TARGET_URL: 'https://staging.example.com'])
        binding.setVariable('stage', { String title, Closure c -> build.calls << ['stage', title]; c() })
        binding.setVariable('agent', { Object a -> build.calls << ['agent', a] })
        binding.setVariable('any', 'any')
        binding.setVariable('timeout', { Map m -> build.calls << ['timeout', m] })
        binding.setVariable('echo', { String message -> build.calls << ['echo', message] })
        binding.setVariable('vibetesting', { Map a ->
            build.calls << ['vibetesting', a]
            result = step.invokeMethod('call', [a] as Object[])
            return result
        })
    }
    try {
        if (jenkinsfile != null) {
            shell.parse(new File(jenkinsfile)).run()
        } else {
            result = step.invokeMethod('call', [stepArgs] as Object[])
        }
    } catch (StepError e) {
        thrown = e
        build.result = 'FAILURE'
    }
    return [build, result, thrown]
}

def leaks = { Build build ->
    List<String> secrets = [token, password, shopPassword]
    boolean inScripts = build.shCalls.any { String s = it.script as String; secrets.any { s.contains(it) } }
    boolean inCalls = build.calls.findAll { it[0] != 'withCredentials' }.any { String c = it.toString(); secrets.any { c.contains(it) } }
    return inScripts || inCalls
}

String passing = '''- name: Home page loads
  steps: open the home page
- name: Sign in works
  steps: sign in as the demo user
'''
String failing = '''- name: Search finds products
  steps: search for shoes
- name: Checkout with a card [fail]
  steps: pay with the test card
'''
String hanging = '''- name: Long journey [hang]
  steps: never finishes
'''
Map real = [image: '', cli: cli, apiUrl: apiUrl, pollInterval: 0.1]

// ---- real CLI, native: passing
def (Build b, Object r, Throwable t) = runStep('passing', real + [testsFile: 'tests.yml'], null, { File d -> new File(d, 'tests.yml').text = passing })
check('passing: exit 0, build SUCCESS', r?.exitCode == 0 && b.result == 'SUCCESS' && t == null, "${r} ${t} ${b.output}")
check('passing: results map (result, totals) from the results JSON', r?.result == 'passed' && r?.totals?.passed == 2)
check('passing: junit published', b.calls.find { it[0] == 'junit' }?.getAt(1)?.testResults == 'vibetesting-junit.xml')
check('passing: report, JUnit and results archived',
    b.calls.find { it[0] == 'archiveArtifacts' }?.getAt(1)?.artifacts == 'vibetesting-junit.xml, vibetesting-report*.pdf, vibetesting-results.json')
check('passing: files really written', new File(b.dir, 'vibetesting-junit.xml').isFile() && new File(b.dir, 'vibetesting-report.pdf').isFile())
check('passing: the CLI got its settings as VIBETESTING_* variables',
    b.shCalls[0].env.VIBETESTING_TESTS_FILE == 'tests.yml' && b.shCalls[0].env.VIBETESTING_POLL_INTERVAL == '0.1')
check('passing: the token only by withCredentials, as VIBETESTING_API_TOKEN',
    b.shCalls[0].env.VIBETESTING_API_TOKEN == token && !leaks(b) && !b.calls.find { it[0] == 'withEnv' }.toString().contains(token))
check('passing: the command line is the CLI and the command only', b.shCalls[0].script == "${cli} run")
check('passing: no unstable, no error', !b.names().contains('unstable') && !b.names().contains('error'))

// ---- real CLI: failed tests -> UNSTABLE
(b, r, t) = runStep('failing', real + [testsFile: 'tests.yml'], null, { File d -> new File(d, 'tests.yml').text = failing })
check('failing: exit 1, build UNSTABLE, no exception', r?.exitCode == 1 && b.result == 'UNSTABLE' && t == null, "${r} ${t}")
check('failing: unstable() says tests failed', b.calls.find { it[0] == 'unstable' }?.getAt(1)?.contains('some tests failed'))
check('failing: junit published before the status', b.names().indexOf('junit') < b.names().indexOf('unstable'))
check('failing: results map says failed', r?.result == 'failed' && r?.totals?.failed == 1)

// ---- real CLI: timed out -> FAILURE with the meaning, reports kept
(b, r, t) = runStep('timeout', real + [testsFile: 'tests.yml', timeout: 2, pollInterval: 0.2], null, { File d -> new File(d, 'tests.yml').text = hanging })
check('timeout: exit 4, build FAILURE', b.result == 'FAILURE' && t?.message == 'VibeTesting: exit code 4: timed out waiting for the results (the unfinished executions were stopped)', "${t?.message} ${b.output}")
check('timeout: junit and archive before the error', b.names().indexOf('junit') >= 0 && b.names().indexOf('archiveArtifacts') < b.names().indexOf('error'))

// ---- real CLI: malformed tests file -> exit 2, input error
(b, r, t) = runStep('malformed', real + [testsFile: 'tests.yml'], null, { File d -> new File(d, 'tests.yml').text = '- name: x\n  stepz: typo\n' })
check('malformed: exit 2, FAILURE: input error', b.result == 'FAILURE' && t?.message == 'VibeTesting: exit code 2: input error (nothing was sent to VibeTesting)', "${t?.message}")

// ---- real CLI: relocated paths
(b, r, t) = runStep('relocated', real + [testsFile: 'tests.yml', junitFile: 'out/junit.xml', reportFile: 'out/pdf/run.pdf', resultsFile: 'out/results.json'], null, { File d -> new File(d, 'tests.yml').text = passing })
check('relocated: exit 0 and the files where asked', r?.exitCode == 0 && new File(b.dir, 'out/junit.xml').isFile() && new File(b.dir, 'out/pdf/run.pdf').isFile())
check('relocated: junit and archive follow the paths',
    b.calls.find { it[0] == 'junit' }[1].testResults == 'out/junit.xml' &&
    b.calls.find { it[0] == 'archiveArtifacts' }[1].artifacts == 'out/junit.xml, out/pdf/run*.pdf, out/results.json')
check('relocated: results read from the relocated results file', r?.result == 'passed')

// ---- real CLI: tests as code (issue 23): tags, a shard, variables, a secret variable, a URL
String tagged = '''- name: Home page loads
  tags: [smoke]
  steps: open the home page as ${WHO}
- name: Sign in works
  tags: [smoke]
  steps: sign in with ${SHOP_PASSWORD}
- name: Admin report
  steps: open the admin report
'''
(b, r, t) = runStep('tests-as-code', real + [testsFile: ['suite/'], tags: ['smoke'], shard: '2/2', vars: ['WHO=jenkins'],
    targetUrl: 'https://pr-7.preview.example/', secretVarsCredentialsIds: [SHOP_PASSWORD: 'shop-test-password']], null,
    { File d -> new File(d, 'suite').mkdirs(); new File(d, 'suite/tests.yml').text = tagged })
check('tests as code: exit 0, build SUCCESS', r?.exitCode == 0 && b.result == 'SUCCESS' && t == null, "${r} ${t} ${b.output}")
check('tests as code: lists reach the CLI one per line, the URL as its variable',
    b.shCalls[0].env.VIBETESTING_TESTS_FILE == 'suite/' && b.shCalls[0].env.VIBETESTING_TAGS == 'smoke' &&
    b.shCalls[0].env.VIBETESTING_VARS == 'WHO=jenkins' && b.shCalls[0].env.VIBETESTING_SHARD == '2/2' &&
    b.shCalls[0].env.VIBETESTING_TARGET_URL == 'https://pr-7.preview.example/')
check('tests as code: the secret variable bound by withCredentials as VIBETESTING_SECRET_SHOP_PASSWORD',
    b.calls.find { it[0] == 'withCredentials' }[1]*.variable == ['VIBETESTING_API_TOKEN', 'VIBETESTING_SECRET_SHOP_PASSWORD'] &&
    b.shCalls[0].env.VIBETESTING_SECRET_SHOP_PASSWORD == shopPassword)
check('tests as code: the shard ran one test, the results name the target URL',
    r?.totals?.tests == 1 && r?.target_url == 'https://pr-7.preview.example/', "${r}")
check('tests as code: no secret in any script, argument, log or file',
    !leaks(b) && !b.output.contains(shopPassword) &&
    !new File(b.dir, 'vibetesting-results.json').text.contains(shopPassword) &&
    !new File(b.dir, 'vibetesting-junit.xml').text.contains(shopPassword))

// ---- stubbed exit codes: every code's status and meaning
[
    3: 'VibeTesting: exit code 3: the VibeTesting API refused or was unreachable',
    130: 'VibeTesting: exit code 130: cancelled (SIGINT)',
    143: 'VibeTesting: exit code 143: cancelled (SIGTERM)',
    7: 'VibeTesting: exit code 7: unexpected error',
].each { Integer code, String message ->
    def (Build sb, Object sr, Throwable st) = runStep("code-${code}", [testsFile: 't.yml'], code)
    check("exit ${code}: FAILURE, '${message}'", sb.result == 'FAILURE' && st?.message == message, "${st?.message}")
    check("exit ${code}: junit and archive still run", sb.names().containsAll(['junit', 'archiveArtifacts']))
}

// ---- docker mode: the command shape, secrets by name only
(b, r, t) = runStep('docker', [testsFile: 't.yml', loginIdentifier: 'qa@example.com', loginPasswordCredentialsId: 'vibetesting-login-password'], 0)
String docker = b.shCalls[0].script as String
check('docker: docker run --rm --init with the default image', docker.startsWith('docker run --rm --init ') && docker.endsWith(' ghcr.io/vibetesting/vibetesting-ci:1 run'), docker)
check('docker: -e NAME without values for every variable', docker.contains('-e VIBETESTING_API_TOKEN ') && docker.contains('-e VIBETESTING_LOGIN_PASSWORD ') && docker.contains('-e VIBETESTING_TESTS_FILE ') && !(docker =~ /-e [A-Z_]+=/))
check('docker: workspace mounted at its own path', docker.contains('-v "$WORKSPACE:$WORKSPACE" -w "$PWD"'))
check('docker: both credentials bound by withCredentials',
    b.calls.find { it[0] == 'withCredentials' }[1]*.variable == ['VIBETESTING_API_TOKEN', 'VIBETESTING_LOGIN_PASSWORD'] &&
    b.shCalls[0].env.VIBETESTING_LOGIN_PASSWORD == password)
check('docker: no secret in any script or step argument', !leaks(b))
(b, r, t) = runStep('docker-secret-vars', [testsFile: 't.yml', secretVarsCredentialsIds: [SHOP_PASSWORD: 'shop-test-password']], 0)
check('docker: a secret variable passed by name only',
    (b.shCalls[0].script as String).contains('-e VIBETESTING_SECRET_SHOP_PASSWORD ') && !leaks(b), b.shCalls[0].script as String)
check('docker: exit 0 without a results file: result passed', r?.result == 'passed' && r?.exitCode == 0 && b.result == 'SUCCESS')

// ---- wait command with ids
(b, r, t) = runStep('wait', [image: '', command: 'wait', executionIds: [12, '13']], 0)
check('wait: vibetesting wait 12 13', b.shCalls[0].script == 'vibetesting wait 12 13', b.shCalls[0]?.script as String)

// ---- propagate: false
(b, r, t) = runStep('no-propagate', [testsFile: 't.yml', propagate: false], 4)
check('propagate false: no status change, the results returned', b.result == 'SUCCESS' && t == null && r.exitCode == 4 && r.result == 'error')

// ---- bad arguments: refused before anything runs
[
    [testFile: 'typo.yml']: 'vibetesting: unknown argument(s) testFile; see vars/vibetesting.txt',
    [apiToken: 'x']: 'vibetesting: secrets come from credentials (credentialsId, loginPasswordCredentialsId, secretVarsCredentialsIds)',
    [secretVars: 'A=b']: 'vibetesting: secrets come from credentials (credentialsId, loginPasswordCredentialsId, secretVarsCredentialsIds)',
    [secretVarsCredentialsIds: ['not a name': 'x']]: "vibetesting: secretVarsCredentialsIds takes NAME: 'credentials id' (NAME: letters, digits and _), got not a name",
    [command: 'status']: "vibetesting: command must be 'run' or 'wait', got 'status'",
    [image: 'bad image; rm -rf /']: "vibetesting: not an image name: 'bad image; rm -rf /'",
    [command: 'wait', executionIds: ['1; id']]: 'vibetesting: executionIds must be positive whole numbers, got [1; id]',
].each { Map bad, String message ->
    def (Build bb, Object br, Throwable bt) = runStep('bad', bad, 0)
    check("refused: ${bad}", bt?.message == message && bb.shCalls.isEmpty() && bb.result == 'FAILURE', "${bt?.message}")
}

// ---- the example Jenkinsfile: @Library and one step call (sh stubbed: no Docker here)
String example = new File(new File(stepFile).absoluteFile.parentFile.parentFile, 'examples/Jenkinsfile').path
[0: 'SUCCESS', 1: 'UNSTABLE', 4: 'FAILURE'].each { Integer code, String status ->
    def (Build eb, Object er, Throwable et) = runStep("example-${code}", [:], code, null, example)
    List<Map> stepCalls = eb.calls.findAll { it[0] == 'vibetesting' }*.getAt(1)
    check("example Jenkinsfile, exit ${code}: one vibetesting(...) call, build ${status}",
        stepCalls.size() == 1 && eb.result == status, "${stepCalls} ${eb.result} ${et?.message}")
    check("example Jenkinsfile, exit ${code}: the tests file and timeout reach the CLI's variables",
        eb.shCalls[0]?.env?.VIBETESTING_TESTS_FILE == '.vibetesting/tests.yml' && eb.shCalls[0]?.env?.VIBETESTING_TIMEOUT == '3600')
    check("example Jenkinsfile, exit ${code}: the image by docker run, junit and archive",
        (eb.shCalls[0]?.script as String)?.startsWith('docker run --rm --init ') && eb.names().containsAll(['junit', 'archiveArtifacts']))
    check("example Jenkinsfile, exit ${code}: no login set, no secret in any call", !eb.shCalls[0]?.env?.containsKey('VIBETESTING_LOGIN_IDENTIFIER') && !leaks(eb))
    if (code != 4) {
        check("example Jenkinsfile, exit ${code}: echoes the result", eb.calls.find { it[0] == 'echo' }?.getAt(1)?.startsWith('VibeTesting '))
    }
}

// ---- the preview example: the URL from a build parameter reaches the CLI's variable
String preview = new File(new File(stepFile).absoluteFile.parentFile.parentFile, 'examples/Jenkinsfile.preview').path
def (Build pb, Object pr, Throwable pt) = runStep('example-preview', [:], 0, null, preview)
check('preview Jenkinsfile: one vibetesting(...) call, build SUCCESS',
    pb.calls.count { it[0] == 'vibetesting' } == 1 && pb.result == 'SUCCESS', "${pb.result} ${pt?.message}")
check('preview Jenkinsfile: params.TARGET_URL reaches VIBETESTING_TARGET_URL, the folder VIBETESTING_TESTS_FILE',
    pb.shCalls[0]?.env?.VIBETESTING_TARGET_URL == 'https://staging.example.com' &&
    pb.shCalls[0]?.env?.VIBETESTING_TESTS_FILE == '.vibetesting/' && !leaks(pb))

println()
println "jenkins harness: ${passes} passed, ${failures} failed"
System.exit(failures == 0 ? 0 : 1)
