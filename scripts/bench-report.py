import sys; print("report todo")
