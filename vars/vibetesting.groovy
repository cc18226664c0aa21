// Jenkins shared library step `vibetesting(...)`: run VibeTesting tests (or a saved suite), wait
// for the results, publish the JUnit XML, archive the PDF reports and the results JSON, and set
// the build status from the exit code. Reference: vars/vibetesting.txt; tests:
// tests/channels/jenkins/harness.groovy (a harness with the pipeline steps stubbed).
//
//   @Library('vibetesting') _
//   vibetesting(testsFile: '.vibetesting/tests.yml')
//
// Every option of the CLI is an argument (camelCase of its variable: testsFile ->
// VIBETESTING_TESTS_FILE) and reaches the CLI through the environment only, never the command
// line. The token (and the login password) come from Jenkins credentials by withCredentials.
import groovy.json.JsonSlurperClassic
import groovy.transform.Field

// generated:options (scripts/gen_component.py: the CLI's option table; do not edit by hand)
@Field static final Map<String, String> OPTION_VARIABLES = [
    apiUrl: 'VIBETESTING_API_URL',
    requestTimeout: 'VIBETESTING_REQUEST_TIMEOUT',
    allowInsecureHttp: 'VIBETESTING_ALLOW_INSECURE_HTTP',
    suiteId: 'VIBETESTING_SUITE_ID',
    executionType: 'VIBETESTING_EXECUTION_TYPE',
    testsFile: 'VIBETESTING_TESTS_FILE',
    tests: 'VIBETESTING_TESTS',
    tags: 'VIBETESTING_TAGS',
    excludeTags: 'VIBETESTING_EXCLUDE_TAGS',
    grep: 'VIBETESTING_GREP',
    shard: 'VIBETESTING_SHARD',
    vars: 'VIBETESTING_VARS',
    loginIdentifier: 'VIBETESTING_LOGIN_IDENTIFIER',
    targetUrl: 'VIBETESTING_TARGET_URL',
    generalInstructions: 'VIBETESTING_GENERAL_INSTRUCTIONS',
    focusAreas: 'VIBETESTING_FOCUS_AREAS',
    flowsCount: 'VIBETESTING_FLOWS_COUNT',
    maxStepsPerFlow: 'VIBETESTING_MAX_STEPS_PER_FLOW',
    sendReport: 'VIBETESTING_SEND_REPORT',
    stopExisting: 'VIBETESTING_STOP_EXISTING',
    allowParallel: 'VIBETESTING_ALLOW_PARALLEL',
    scheduleAt: 'VIBETESTING_SCHEDULE_AT',
    repeat: 'VIBETESTING_REPEAT',
    repeatCount: 'VIBETESTING_REPEAT_COUNT',
    timezone: 'VIBETESTING_TIMEZONE',
    dryRun: 'VIBETESTING_DRY_RUN',
    wait: 'VIBETESTING_WAIT',
    timeout: 'VIBETESTING_TIMEOUT',
    pollInterval: 'VIBETESTING_POLL_INTERVAL',
    maxPollInterval: 'VIBETESTING_MAX_POLL_INTERVAL',
    failOnTimeout: 'VIBETESTING_FAIL_ON_TIMEOUT',
    allowEmpty: 'VIBETESTING_ALLOW_EMPTY',
    stopOnTimeout: 'VIBETESTING_STOP_ON_TIMEOUT',
    stopOnCancel: 'VIBETESTING_STOP_ON_CANCEL',
    junitFile: 'VIBETESTING_JUNIT_FILE',
    reportFile: 'VIBETESTING_REPORT_FILE',
    resultsFile: 'VIBETESTING_RESULTS_FILE',
    dotenvFile: 'VIBETESTING_DOTENV_FILE',
    requireReport: 'VIBETESTING_REQUIRE_REPORT',
    maxReportSize: 'VIBETESTING_MAX_REPORT_SIZE',
    maxFailures: 'VIBETESTING_MAX_FAILURES',
    minPassRate: 'VIBETESTING_MIN_PASS_RATE',
    retryFailed: 'VIBETESTING_RETRY_FAILED',
    retryFailedWhole: 'VIBETESTING_RETRY_FAILED_WHOLE',
    comment: 'VIBETESTING_COMMENT',
]
@Field static final Map<String, Object> OPTION_DEFAULTS = [
    junitFile: 'vibetesting-junit.xml',
    reportFile: 'vibetesting-report.pdf',
    resultsFile: 'vibetesting-results.json',
]
// /generated:options

// Arguments of the step itself (not CLI options), with their defaults.
@Field static final Map<String, Object> STEP_DEFAULTS = [
    image: 'ghcr.io/vibetesting/vibetesting-ci:1', // null or '': the CLI on the agent (`cli`)
    cli: 'vibetesting', // the command on the agent when image is empty
    command: 'run', // or 'wait' (with executionIds)
    executionIds: [],
    credentialsId: 'vibetesting-api-token', // a Secret text credential: the API token
    loginPasswordCredentialsId: null, // a Secret text credential: the login password
    secretVarsCredentialsIds: [:], // NAME: a Secret text credential, bound to VIBETESTING_SECRET_NAME
    publishJunit: true,
    archive: true,
    propagate: true, // false: never change the build status, only return the results
]

@Field static final Map<Integer, String> MEANINGS = [
    1: 'some tests failed (see the test results and the PDF report)',
    2: 'input error (nothing was sent to VibeTesting)',
    3: 'the VibeTesting API refused or was unreachable',
    4: 'timed out waiting for the results (the unfinished executions were stopped)',
    130: 'cancelled (SIGINT)',
    143: 'cancelled (SIGTERM)',
]

Map call(Map args = [:]) {
    if (args.containsKey('apiToken') || args.containsKey('loginPassword') || args.containsKey('secretVars')) {
        error('vibetesting: secrets come from credentials (credentialsId, loginPasswordCredentialsId, secretVarsCredentialsIds)')
    }
    Set<String> known = (OPTION_VARIABLES.keySet() + STEP_DEFAULTS.keySet()) as Set
    List<String> unknown = args.keySet().findAll { !(it in known) }.collect { it as String }
    if (unknown) {
        error("vibetesting: unknown argument(s) ${unknown.sort().join(', ')}; see vars/vibetesting.txt")
    }
    Map config = STEP_DEFAULTS + OPTION_DEFAULTS + args
    String command = config.command as String
    if (!(command in ['run', 'wait'])) {
        error("vibetesting: command must be 'run' or 'wait', got '${command}'")
    }
    List<String> ids = (config.executionIds ?: []).collect { it as String }
    if (ids.any { !(it ==~ /[1-9][0-9]*/) }) {
        error("vibetesting: executionIds must be positive whole numbers, got ${ids}")
    }
    String image = (config.image ?: '') as String
    if (image && !(image ==~ /[A-Za-z0-9][A-Za-z0-9._\/:@-]*/)) {
        error("vibetesting: not an image name: '${image}'")
    }
    String cli = (config.cli ?: 'vibetesting') as String
    if (!(cli ==~ /[A-Za-z0-9._\/-]+/)) {
        error("vibetesting: not a command path: '${cli}'")
    }

    // Only what the caller set goes to the CLI, as VIBETESTING_* variables.
    List<String> environment = []
    List<String> names = []
    OPTION_VARIABLES.each { String key, String variable ->
        if (config.containsKey(key) && config[key] != null) {
            environment << "${variable}=${envValue(config[key])}".toString()
            names << variable
        }
    }
    List<Object> credentials = [string(credentialsId: config.credentialsId, variable: 'VIBETESTING_API_TOKEN')]
    names << 'VIBETESTING_API_TOKEN'
    if (config.loginPasswordCredentialsId) {
        credentials << string(credentialsId: config.loginPasswordCredentialsId, variable: 'VIBETESTING_LOGIN_PASSWORD')
        names << 'VIBETESTING_LOGIN_PASSWORD'
    }
    // Secret variables: each ${NAME} from a Secret text credential, as VIBETESTING_SECRET_NAME.
    Map secretVars = (config.secretVarsCredentialsIds ?: [:]) as Map
    secretVars.each { Object name, Object id ->
        if (!((name as String) ==~ /[A-Za-z_][A-Za-z0-9_]*/) || !id) {
            error("vibetesting: secretVarsCredentialsIds takes NAME: 'credentials id' (NAME: letters, digits and _), got ${name}")
        }
        String variable = "VIBETESTING_SECRET_${name}".toString()
        credentials << string(credentialsId: id as String, variable: variable)
        names << variable
    }

    String arguments = ([command] + ids).join(' ')
    String script
    if (image) {
        // --init forwards the abort's SIGTERM, so the CLI stops the remote executions; -e NAME
        // (no value) passes each variable from the environment, not the command line.
        script = 'docker run --rm --init --user "$(id -u):$(id -g)" ' +
            names.collect { "-e ${it}" }.join(' ') +
            ' -v "$WORKSPACE:$WORKSPACE" -w "$PWD" ' + image + ' ' + arguments
    } else {
        script = cli + ' ' + arguments
    }

    int code = 0
    withEnv(environment) {
        withCredentials(credentials) {
            code = sh(returnStatus: true, label: "vibetesting ${command}", script: script) as int
        }
    }

    String junitFile = (config.junitFile ?: '') as String
    String resultsFile = (config.resultsFile ?: '') as String
    String reportFile = (config.reportFile ?: '') as String
    if (config.publishJunit && junitFile) {
        junit(testResults: junitFile, allowEmptyResults: true)
    }
    if (config.archive) {
        List<String> files = [junitFile, reportPattern(reportFile), resultsFile].findAll { it }
        if (files) {
            archiveArtifacts(artifacts: files.join(', '), allowEmptyArchive: true, fingerprint: true)
        }
    }

    Map results = [:]
    if (resultsFile && fileExists(resultsFile)) {
        results = parseJson(readFile(file: resultsFile, encoding: 'UTF-8') as String)
    }
    if (!results.containsKey('result')) {
        results.result = code == 0 ? 'passed' : 'error'
    }
    results.exitCode = code

    if (config.propagate && code != 0) {
        String meaning = MEANINGS[code] ?: 'unexpected error'
        if (code == 1) {
            unstable("VibeTesting: ${meaning}")
        } else {
            error("VibeTesting: exit code ${code}: ${meaning}")
        }
    }
    return results
}

// A value as the CLI reads it from its variable: booleans true/false, lists one per line.
@NonCPS
static String envValue(Object value) {
    if (value instanceof Collection) {
        return value.collect { it as String }.join('\n')
    }
    return value as String
}

// The report's artifact pattern: NAME.pdf, or NAME-<id>.pdf with several executions.
@NonCPS
static String reportPattern(String reportFile) {
    if (!reportFile) {
        return ''
    }
    int dot = reportFile.lastIndexOf('.')
    int slash = reportFile.lastIndexOf('/')
    return dot > slash + 1 ? reportFile.substring(0, dot) + '*' + reportFile.substring(dot) : reportFile + '*'
}

@NonCPS
static Map parseJson(String text) {
    Object parsed = new JsonSlurperClassic().parseText(text)
    return parsed instanceof Map ? new LinkedHashMap(parsed as Map) : [:]
}
