import ArgumentParser
import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Logging
import SIPCore

/// sysexits.h codes systemd and admins expect.
enum ExitCode78 {
    static let config: Int32 = 78      // EX_CONFIG
    static let unavailable: Int32 = 69 // EX_UNAVAILABLE
    static let cantCreate: Int32 = 73  // EX_CANTCREAT
}

@main
struct SipEndpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sipendpointd",
        abstract: "Headless SIP endpoint daemon for contact-centre agents.",
        version: DaemonVersion.string,
        subcommands: [Run.self, CheckConfig.self, ConfigKeys.self, Status.self, Routes.self],
        defaultSubcommand: Run.self)
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run in the foreground (the default).")

    @Option(name: .long, help: "Path of the config file.")
    var config: String

    func run() throws {
        let loaded = ConfigLoader.load(path: config)
        let cfg: EndpointConfiguration
        switch loaded {
        case .success(let c): cfg = c
        case .failure(let errors):
            for e in errors.errors { Text.printError("sipendpointd: \(config): \(e)") }
            throw ExitCode(ExitCode78.config)
        }
        let level = Logger.Level(rawValue: cfg.logLevel) ?? .info
        let journal = cfg.logTarget == "journal" || (cfg.logTarget == "auto" && JournaldLogHandler.stderrIsJournal)
        LoggingSystem.bootstrap { label in
            journal ? AnyLogHandler(JournaldLogHandler(label: label, level: level)) : AnyLogHandler(StderrLogHandler(label: label, level: level))
        }
        let logger = Logger(label: "sipendpointd")
        // A password in a file others can read is worth a warning at every start.
        var info = stat()
        if cfg.passwordFile == nil, cfg.password != nil, stat(config, &info) == 0, info.st_mode & S_IROTH != 0 {
            logger.warning("the config file holds a password and is readable by other users; use sipendpoint.password-file or chmod o-r",
                           metadata: ["file": "\(config)"])
        }
        let stateDirectory = cfg.stateDirectory ?? ProcessInfo.processInfo.environment["STATE_DIRECTORY"]?
            .split(separator: ":").first.map(String.init) ?? "/var/lib/sipendpointd"
        let instance: String
        do {
            instance = try InstanceIdentity.load(stateDirectory: stateDirectory)
        } catch {
            logger.critical("cannot start", metadata: ["reason": "\(error)"])
            throw ExitCode(ExitCode78.cantCreate)
        }
        // TLS files are checked at start: a bad or encrypted key is a config error.
        var tls: TLSContext?
        do {
            tls = try TLSContext(cfg.tls)
        } catch {
            logger.critical("TLS configuration unusable", metadata: ["reason": "\(error)"])
            throw ExitCode(ExitCode78.config)
        }
        if !cfg.tls.verifyPeer {
            logger.warning("sipendpoint.tls.verify-peer = false: server certificates are NOT verified; anyone on the path can impersonate the SIP Server")
        }
        let service = EndpointService(config: cfg, configPath: config, instanceID: instance, stateDirectory: stateDirectory, tls: tls, logger: logger)
        do {
            try service.start()
        } catch {
            logger.critical("cannot open SIP sockets", metadata: ["reason": "\(error)"])
            throw ExitCode(ExitCode78.unavailable)
        }
        withExtendedLifetime(service) { dispatchMain() }
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a config file and list every problem.")

    @Argument(help: "Path of the config file.")
    var path: String

    func run() throws {
        switch ConfigLoader.load(path: path) {
        case .success:
            print("\(path): OK")
        case .failure(let errors):
            for e in errors.errors { print("\(path): \(e)") }
            throw ExitCode(ExitCode78.config)
        }
    }
}

struct ConfigKeys: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config-keys", abstract: "List every config key the daemon knows, with its meaning.")

    func run() throws {
        for key in ConfigSchema.allKeys { print("\(key.name)\t\(key.help)") }
    }
}

struct Routes: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "routes", abstract: "List the control port's routes (method and path).", shouldDisplay: false)

    func run() throws {
        for r in ControlAPI.routes { print("\(r.method) \(r.path)") }
    }
}
