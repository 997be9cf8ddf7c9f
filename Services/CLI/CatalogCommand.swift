// `offerloop catalog`: the decision service's running catalog, a reload on request, and a check of
// a catalog file offline (the reload's own file:line:column errors, no cluster needed).
import ArgumentParser
import DecisionCore
import Foundation
import ProcessShell
import Wire

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "The decision service's running catalog (show, the default; --reload) or a catalog file checked offline (check FILE).",
        subcommands: [Show.self, Check.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the decision service's running catalog, or reload it now (--reload; every replica also reloads within a second of a file change).")

        @Flag(help: "Load the catalog file again on the replica that takes the request.") var reload = false
        @OptionGroup var client: ClientOptions

        func run() throws {
            let reply: CatalogReply = try CustomerCommand.call(client, service: "decision", reload ? "reload_catalog" : "catalog", ReloadCatalogRequest())
            print("catalog \(reply.version) (\(reply.offers) offers) from \(reply.path)")
            if reload { print(reply.reloaded ? "reloaded" : "refused; the running catalog stays") }
            reply.errors.forEach { print($0) }
            if reload, !reply.reloaded { throw ExitCode(1) }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a catalog file as a reload would, without a cluster: every problem as file:line:column, exit status 1 if any.")

        @Argument(help: "The catalog file (YAML).") var file: String

        func run() throws {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
            do {
                let catalog = try CatalogLoader.load(yaml: text, file: file)
                let strategies = catalog.strategies.filter { !$0.name.isEmpty }
                print("\(file): catalog \(catalog.version), \(catalog.offers.count) offers"
                      + (strategies.isEmpty ? "" : ", strategies " + strategies.map { "\($0.name) \($0.share.formatted())%" }.joined(separator: ", "))
                      + ": ok")
            } catch {
                error.errors.forEach { print($0) }
                throw ExitCode(1)
            }
        }
    }
}
