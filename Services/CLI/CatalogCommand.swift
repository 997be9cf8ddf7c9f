// `offerloop catalog`: the decision service's running catalog, and a reload on request.
import ArgumentParser
import ProcessShell
import Wire

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
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
