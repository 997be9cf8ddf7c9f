// One line of a transactions CSV (customer_id,date,quantity,amount[,channel,product,
// transaction_id]), checked field by field: shared by the bulk import and `offerloop clv`.
import CivilCalendar
import Wire


public struct TransactionRow: Sendable, Equatable {
    public static let required = ["customer_id", "date", "quantity", "amount"]
    public static let optional = ["channel", "product", "transaction_id"]

    public var customerID: String
    /// Days since 1970-01-01.
    public var day: Int
    public var quantity: Int64
    public var amount: Double
    public var channel: String
    public var product: String
    public var transactionID: String

    /// `columns` maps header names to field positions (CSVReader.header).
    public init(fields: [String], columns: [String: Int]) throws(ProfileError) {
        func field(_ name: String) -> String { columns[name].map { fields[$0] } ?? "" }
        customerID = try CustomerIdentity(kind: .customer, value: field("customer_id")).value
        let date = field("date")
        guard let civil = CivilDate(date) else { throw .invalidArgument("date '\(date.prefix(40))' is not YYYY-MM-DD") }
        day = civil.daysSinceEpoch
        let quantityText = field("quantity")
        guard let quantity = Int64(quantityText), quantity >= 1 else {
            throw .invalidArgument("quantity '\(quantityText.prefix(40))' is not a whole number of at least 1")
        }
        self.quantity = quantity
        let amountText = field("amount")
        guard let amount = Double(amountText), amount.isFinite else { throw .invalidArgument("amount '\(amountText.prefix(40))' is not a number") }
        self.amount = amount
        channel = field("channel")
        guard channel.isEmpty || ChannelName.channel(channel) != nil else {
            throw .invalidArgument("channel '\(channel.prefix(40))' is not one of \(ChannelName.all.joined(separator: ", "))")
        }
        product = field("product")
        transactionID = field("transaction_id")
    }
}
