// One purchase of one customer, as the lifetime-value models see it.

public struct Purchase: Sendable, Hashable {
    public var customerID: String
    /// Days since 1970-01-01 (UTC): the models work in whole days grouped into periods.
    public var day: Int
    public var quantity: Int
    public var amount: Double

    public init(customerID: String, day: Int, quantity: Int = 1, amount: Double) {
        self.customerID = customerID
        self.day = day
        self.quantity = quantity
        self.amount = amount
    }
}
