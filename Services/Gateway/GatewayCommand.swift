// offerloop-gateway: the HTTP/JSON face of the cluster.
import ArgumentParser
import Hummingbird

@main
struct GatewayCommand: AsyncParsableCommand {
    func run() async throws {
        let router = Router()
        router.get("/v1/health") { _, _ in "ok" }
        let app = Application(router: router)
        try await app.runService()
    }
}
