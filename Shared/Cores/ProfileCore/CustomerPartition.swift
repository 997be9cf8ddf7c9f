// Which partition of the customers a customer id belongs to: the profile service filters its
// snapshot pages with it and a decision replica started with `--partition K/N` holds only its
// own. The broker's rule for a routing key (Wire's KeyPartition) over the id's UTF-8, so a
// decide whose routing key is the customer id reaches the replica that holds the customer.
import Wire

public enum CustomerPartition {
    public static func of(_ customerID: String, partitions: UInt32) -> UInt32 {
        KeyPartition.of(customerID.utf8, count: partitions)
    }
}
