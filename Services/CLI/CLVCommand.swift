// `offerloop clv fit|customers`: BG/NBD + Gamma-Gamma from a transactions CSV, for operators
// and for checking the models against published fits.
import ArgumentParser
import CSV
import CivilCalendar
import CustomerValue
import Foundation
import ProcessShell
import ProfileCore
import Wire

struct CLVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clv", abstract: "Fit lifetime-value models to transactions and value customers.",
        subcommands: [Fit.self, Customers.self, Refit.self])

    struct Input: ParsableArguments {
        @Option(help: "CSV with header customer_id,date,quantity,amount.")
        var transactions: String

        @Option(help: "Last day of the calibration period, YYYY-MM-DD; later transactions are ignored.")
        var calibrationEnd: String

        @Option(help: "Model time unit: day or week.")
        var period: String = "week"

        @Flag(help: "Print JSON (snake_case keys).")
        var json = false

        var periodDays: Double {
            get throws {
                switch period {
                case "day": 1
                case "week": 7
                default: throw ValidationError("period must be day or week, not '\(period)'")
                }
            }
        }

        /// Every customer's summary; any bad line stops the fit with every bad line listed.
        func summaries() throws -> [String: CustomerSummary] {
            guard let end = CivilDate(calibrationEnd) else { throw ValidationError("calibration end '\(calibrationEnd)' is not YYYY-MM-DD") }
            var reader = try CSVReader(contentsOf: transactions)
            let columns = try reader.header(required: TransactionRow.required, optional: TransactionRow.optional)
            var purchases: [Purchase] = []
            var errors: [CSVError] = []
            while let (line, fields) = try reader.next() {
                guard fields.count == columns.count else {
                    errors.append(CSVError(file: reader.file, line: line, "expected \(columns.count) fields, found \(fields.count)"))
                    continue
                }
                do {
                    let row = try TransactionRow(fields: fields, columns: columns)
                    purchases.append(Purchase(customerID: row.customerID, day: row.day, quantity: Int(row.quantity), amount: row.amount))
                } catch {
                    errors.append(CSVError(file: reader.file, line: line, error.message))
                }
            }
            guard errors.isEmpty else {
                errors.prefix(100).forEach { printError($0.description) }
                printError("\(errors.count) bad lines: nothing fitted")
                throw ExitCode(2)
            }
            return CustomerSummary.summarize(purchases, endDay: end.daysSinceEpoch, periodDays: try periodDays)
        }

        func print(_ value: some Encodable, table: () -> String) throws {
            if json {
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
            } else {
                Swift.print(table())
            }
        }
    }

    struct FitResult: Codable {
        let customers: Int
        let r, alpha, a, b, logLikelihood: Double
        let p, q, gamma, spendLogLikelihood: Double
        let seconds: Double
    }

    static func fit(_ summaries: some Collection<CustomerSummary>) -> (ValueModel, FitResult) {
        let started = Date()
        let all = Array(summaries)
        printError("fitting BG/NBD to \(all.count) customers…")
        let (bg, ll) = BGNBD.fit(all)
        printError("fitting Gamma-Gamma to \(all.filter { $0.frequency > 0 }.count) repeat customers…")
        let (gg, ggLL) = GammaGamma.fit(all)
        let result = FitResult(customers: all.count, r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b, logLikelihood: ll,
                               p: gg.p, q: gg.q, gamma: gg.gamma, spendLogLikelihood: ggLL, seconds: Date().timeIntervalSince(started))
        return (ValueModel(purchases: bg, spend: gg), result)
    }

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the BG/NBD and Gamma-Gamma parameters and log-likelihoods.")
        @OptionGroup var input: Input

        func run() throws {
            let (_, result) = CLVCommand.fit(try input.summaries().values)
            try input.print(result) {
                String(format: """
                    BG/NBD       r = %.4f  alpha = %.4f  a = %.4f  b = %.4f   log-likelihood %.2f  (%d customers)
                    Gamma-Gamma  p = %.4f  q = %.4f  gamma = %.4f   log-likelihood %.2f
                    fitted in %.2f s
                    """, result.r, result.alpha, result.a, result.b, result.logLikelihood, result.customers,
                       result.p, result.q, result.gamma, result.spendLogLikelihood, result.seconds)
            }
        }
    }

    struct CustomerValueRow: Codable {
        let customerId: String
        let frequency, recency, T, monetaryValue: Double
        let pAlive, expectedPurchases52W, clv: Double

        enum CodingKeys: String, CodingKey {
            case customerId, frequency, recency, monetaryValue, pAlive, clv
            case T = "T"
            case expectedPurchases52W = "expected_purchases_52w"
        }
    }

    struct Customers: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per customer: frequency, recency, T, monetary value, P(alive), expected purchases in 52 weeks, CLV.")
        @OptionGroup var input: Input

        @Option(help: "CLV horizon in months.")
        var horizonMonths: Int = 12

        @Option(help: "Monthly discount rate.")
        var monthlyDiscount: Double = 0.01

        @Option(help: "Customer ids, comma-separated (default: all).")
        var ids: String?

        func run() throws {
            let summaries = try input.summaries()
            var (model, _) = CLVCommand.fit(summaries.values)
            model.periodDays = try input.periodDays
            let wanted = ids.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                ?? summaries.keys.sorted { ($0.count, $0) < ($1.count, $1) }
            let rows = try wanted.map { id -> CustomerValueRow in
                guard let c = summaries[id] else { throw ValidationError("customer \(id) has no transactions by the calibration end") }
                return CustomerValueRow(customerId: id, frequency: c.frequency, recency: c.recency, T: c.age, monetaryValue: c.monetaryValue,
                                        pAlive: model.purchases.probabilityAlive(c), expectedPurchases52W: model.expectedPurchasesInAYear(c),
                                        clv: model.clv(c, months: horizonMonths, monthlyDiscount: monthlyDiscount))
            }
            try input.print(rows) {
                (["customer      x      t_x        T   m_bar  P(alive)  E[52w]      CLV"] + rows.map {
                    $0.customerId.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: " %5.0f %8.3f %8.3f %7.2f %9.4f %7.4f %8.2f", $0.frequency, $0.recency, $0.T,
                           $0.monetaryValue, $0.pAlive, $0.expectedPurchases52W, $0.clv)
                }).joined(separator: "\n")
            }
        }
    }

    struct Refit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Refit the profile service's value model from every stored transaction (every replica picks it up within 10 s).")
        @OptionGroup var client: ClientOptions

        func run() throws {
            let reply: FitValueModelReply = try CustomerCommand.call(client, "fit_value_model", FitValueModelRequest(), timeoutMicros: 600_000_000)
            print(String(format: "BG/NBD r = %.4f alpha = %.4f a = %.4f b = %.4f (log-likelihood %.2f, %d customers); Gamma-Gamma p = %.4f q = %.4f gamma = %.4f",
                         reply.r, reply.alpha, reply.a, reply.b, reply.logLikelihood, reply.customers, reply.p, reply.q, reply.gamma))
            print("value tiers start at CLV " + reply.tierThresholds.map { String(format: "%.2f", $0) }.joined(separator: ", "))
        }
    }
}
